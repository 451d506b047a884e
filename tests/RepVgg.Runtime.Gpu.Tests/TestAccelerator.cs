using ILGPU.Runtime;
using RepVgg.Gpu;

// One CPU accelerator runs every test's kernels; its threads simulate a GPU's, so the tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// ILGPU's CPU accelerator, shared by the tests: it runs the very kernels CUDA runs, each group's threads
/// simulated with OS threads (<see cref="GpuEngines.CpuAccelerator"/>, the backend's own, up to 512 threads per group).
/// </summary>
internal static class TestAccelerator
{
    public static Accelerator Cpu => GpuEngines.CpuAccelerator;
}
