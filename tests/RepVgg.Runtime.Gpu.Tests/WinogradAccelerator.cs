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
    private GpuWinogradConvolution? _convolution;

    public WinogradAccelerator() => _convolution = new(_device.Cpu);

    public CPUAccelerator Accelerator => _device.Cpu;

    internal GpuWinogradConvolution Convolution => _convolution ?? throw new ObjectDisposedException(nameof(WinogradAccelerator));

    public void Dispose()
    {
        _convolution = null;
        _device.Dispose();
    }
}
