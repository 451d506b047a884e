using RepVgg.Gpu;
using RepVgg.Gpu.Kernels;

namespace RepVgg.GpuCheck;

/// <summary>There is no GPU engine to check; the message says why (the runtime's reason, as a user would see it).</summary>
internal sealed class GpuUnavailableException(string message) : Exception(message);

/// <summary>Makes the GPU engine the check drives, on the accelerator asked for.</summary>
internal static class GpuEngine
{
    /// <summary>
    /// The engine a generated class gets, or with <paramref name="tiles"/> fixing the GEMMs' tile size, or with
    /// <paramref name="allDirect"/> running Winograd layers as direct implicit GEMMs, or with the tensor-core kernel
    /// staging its operands as <paramref name="staging"/> says (for the comparisons; the engine otherwise picks the tiles
    /// per layer, runs the weights step's plan and stages through registers).
    /// </summary>
    /// <exception cref="GpuUnavailableException">No engine on <paramref name="accelerator"/>.</exception>
    public static InferenceEngine Create(GpuAccelerator accelerator, NetworkLayout network, ModelWeights weights, Precision precision,
        GemmTileSize tiles = GemmTileSize.Auto, bool allDirect = false, TensorCoreStaging staging = TensorCoreStaging.Registers)
    {
        if (accelerator == GpuAccelerator.Cuda && (tiles != GemmTileSize.Auto || allDirect || staging != TensorCoreStaging.Registers))
        {
            string? reason = GpuEngines.TryCreateCudaWith(network, weights, precision, tiles, allDirect, staging, out InferenceEngine? chosen);
            return chosen ?? throw new GpuUnavailableException(reason!);
        }
        if (accelerator == GpuAccelerator.Cuda)
        {
            try
            {
                // Exactly what a generated class does with Backend.Gpu.
                return InferenceEngine.Create(Backend.Gpu, network, weights, precision);
            }
            catch (NotSupportedException e)
            {
                throw new GpuUnavailableException(e.Message);
            }
        }
        string? unavailable = GpuEngines.TryCreateCpuAcceleratorWith(network, weights, precision, tiles, allDirect, staging, out InferenceEngine? engine);
        return engine ?? throw new GpuUnavailableException($"ILGPU's CPU accelerator is not available: {unavailable}");
    }
}
