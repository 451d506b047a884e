using System.Reflection;

namespace RepVgg.GpuCheck;

/// <summary>There is no GPU engine to check; the message says why (the runtime's reason, as a user would see it).</summary>
internal sealed class GpuUnavailableException(string message) : Exception(message);

/// <summary>Makes the GPU engine the check drives, on the accelerator asked for.</summary>
internal static class GpuEngine
{
    /// <summary>
    /// The CPU-accelerator entry of the GPU backend: the same signature as the <c>TryCreateCuda</c> the runtime
    /// looks up, returning null and an engine whose kernels run on ILGPU's CPU accelerator, or why there is none.
    /// Looked up by name like the runtime's entry, so this program builds before the GPU engine exists.
    /// </summary>
    private const string CpuAcceleratorEntry = "TryCreateCpuAccelerator";

    private const string EntryType = "RepVgg.Gpu.GpuEngines, RepVgg.Runtime.Gpu";

    private delegate string? TryCreate(NetworkLayout network, ModelWeights weights, out InferenceEngine? engine);

    /// <exception cref="GpuUnavailableException">No engine on <paramref name="accelerator"/>.</exception>
    public static InferenceEngine Create(GpuAccelerator accelerator, NetworkLayout network, ModelWeights weights)
    {
        if (accelerator == GpuAccelerator.Cuda)
        {
            try
            {
                // Exactly what a generated class does with Backend.Gpu.
                return InferenceEngine.Create(Backend.Gpu, network, weights);
            }
            catch (NotSupportedException e)
            {
                throw new GpuUnavailableException(e.Message);
            }
        }
        MethodInfo? method = Type.GetType(EntryType, throwOnError: false)?.GetMethod(CpuAcceleratorEntry, BindingFlags.Public | BindingFlags.Static);
        if (method is null)
            throw new GpuUnavailableException(
                $"this build's GPU backend has no ILGPU CPU-accelerator entry ({EntryType.Split(',')[0]}.{CpuAcceleratorEntry}); it comes with the GPU engine");
        string? unavailable = method.CreateDelegate<TryCreate>()(network, weights, out InferenceEngine? engine);
        return engine ?? throw new GpuUnavailableException($"ILGPU's CPU accelerator is not available: {unavailable}");
    }
}
