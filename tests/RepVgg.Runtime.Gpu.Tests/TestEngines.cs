using ILGPU.Runtime;
using RepVgg.Gpu;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>Engines on a test class's accelerator with the engine's kernel choices overridden (<see cref="KernelOverrides"/>, the backend's test hook).</summary>
internal static class TestEngines
{
    public static GpuInferenceEngine Create(Accelerator accelerator, NetworkLayout layout, ModelWeights weights, Precision precision, KernelOverrides overrides)
    {
        using (KernelOverrides.Apply(overrides))
            return GpuEngines.Create(accelerator, layout, weights, precision);
    }
}
