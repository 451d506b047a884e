using ILGPU.Runtime.CPU;
using RepVgg.Gpu.Winograd;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// The tests' shared CPU accelerator (<see cref="TestAccelerator"/>, up to 512 threads per group, which the GEMMs need;
/// ILGPU's default CPU device allows 16) and one <see cref="GpuWinogradConvolution"/> on it: the kernels compile once.
/// </summary>
public sealed class WinogradAccelerator
{
    public CPUAccelerator Accelerator { get; } = (CPUAccelerator)TestAccelerator.Cpu;

    internal GpuWinogradConvolution Convolution { get; } = new(TestAccelerator.Cpu);
}
