using ILGPU.Runtime.CPU;
using RepVgg.Gpu.Winograd;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// A class's CPU accelerator (<see cref="TestAccelerator"/>, up to 512 threads per group, which the GEMMs need;
/// ILGPU's default CPU device allows 16) and one <see cref="GpuWinogradConvolution"/> on it: the kernels compile once.
/// </summary>
public sealed class WinogradAccelerator : IDisposable
{
    private readonly TestAccelerator _device = new();

    public WinogradAccelerator() => Convolution = new(_device.Cpu);

    public CPUAccelerator Accelerator => _device.Cpu;

    internal GpuWinogradConvolution Convolution { get; }

    public void Dispose() => _device.Dispose();
}
