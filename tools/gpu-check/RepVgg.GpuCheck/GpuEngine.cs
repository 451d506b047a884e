using RepVgg.Gpu;
using RepVgg.Gpu.Kernels;

namespace RepVgg.GpuCheck;

/// <summary>There is no GPU engine to check; the message says why (the runtime's reason, as a user would see it).</summary>
internal sealed class GpuUnavailableException(string message) : Exception(message);

/// <summary>Makes the GPU engine the check drives, on the accelerator asked for.</summary>
internal static class GpuEngine
{
    /// <summary>
    /// The engine a generated class gets, or with <paramref name="tiles"/> fixing the float32 GEMMs' tile size (for the
    /// per-layer comparison; the engine otherwise picks it per layer).
    /// </summary>
    /// <exception cref="GpuUnavailableException">No engine on <paramref name="accelerator"/>.</exception>
    public static InferenceEngine Create(GpuAccelerator accelerator, NetworkLayout network, ModelWeights weights, Precision precision,
        GemmTileSize tiles = GemmTileSize.Auto)
    {
        if (accelerator == GpuAccelerator.Cuda && tiles != GemmTileSize.Auto)
        {
            string? reason = GpuEngines.TryCreateCudaWithTiles(network, weights, precision, tiles, out InferenceEngine? fixedTiles);
            return fixedTiles ?? throw new GpuUnavailableException(reason!);
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
        string? unavailable = GpuEngines.TryCreateCpuAcceleratorWithTiles(network, weights, precision, tiles, out InferenceEngine? engine);
        return engine ?? throw new GpuUnavailableException($"ILGPU's CPU accelerator is not available: {unavailable}");
    }
}
