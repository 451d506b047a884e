using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using RepVgg.Gpu;

// One CPU accelerator runs every test's kernels; its threads simulate a GPU's, so the tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// ILGPU's CPU accelerator, shared by the tests: it runs the very kernels CUDA runs, each group's threads
/// simulated with OS threads. It simulates a device of 256 threads per group (32-thread warps, 8 warps),
/// the group size of the convolution kernel.
/// </summary>
internal static class TestAccelerator
{
    private static readonly Lazy<Accelerator> s_cpu = new(() =>
    {
        Context context = Context.Create(builder => builder.CPU(CPUDeviceKind.AMD));
        return context.CreateCPUAccelerator(0);
    });

    public static Accelerator Cpu => s_cpu.Value;
}
