using RepVgg.Gpu;
using RepVgg.Gpu.Kernels;

namespace RepVgg.GpuCheck;

/// <summary>There is no GPU engine to check; the message says why (the runtime's reason, as a user would see it).</summary>
internal sealed class GpuUnavailableException(string message) : Exception(message);

/// <summary>
/// Makes the GPU engine the check drives, on the accelerator asked for. What the check takes from the backend's
/// internals: <see cref="KernelOverrides"/> (the comparison engines' tiles, algorithms and candidate kernels),
/// <see cref="GpuEngines.TryCreateCpuAccelerator"/> (<c>--accelerator cpu</c>), and the engine's
/// <c>DescribeKernel</c> (the per-layer tables' kernel column).
/// </summary>
internal static class GpuEngine
{
    /// <summary>
    /// The engine a generated class gets, or with <paramref name="tiles"/> fixing the GEMMs' tile size, or with
    /// <paramref name="allDirect"/> running Winograd layers as direct implicit GEMMs, or with a <paramref name="candidate"/>
    /// tensor-core kernel in place of the engine's (for the comparisons; the engine otherwise picks the tiles per layer,
    /// runs the weights step's plan and its own kernels).
    /// </summary>
    /// <exception cref="GpuUnavailableException">No engine on <paramref name="accelerator"/>.</exception>
    public static InferenceEngine Create(GpuAccelerator accelerator, NetworkLayout network, ModelWeights weights, Precision precision,
        GemmTileSize tiles = GemmTileSize.Auto, bool allDirect = false, ITensorCoreGemmSource? candidate = null)
    {
        var overrides = new KernelOverrides(tiles, allDirect, candidate);
        if (accelerator == GpuAccelerator.Cuda && overrides != KernelOverrides.None)
        {
            using (KernelOverrides.Apply(overrides))
            {
                string? reason = GpuEngines.TryCreateCuda(network, weights, precision, out InferenceEngine? chosen);
                return chosen ?? throw new GpuUnavailableException(reason!);
            }
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
        using (KernelOverrides.Apply(overrides))
        {
            string? unavailable = GpuEngines.TryCreateCpuAccelerator(network, weights, precision, out InferenceEngine? engine);
            return engine ?? throw new GpuUnavailableException($"ILGPU's CPU accelerator is not available: {unavailable}");
        }
    }
}
