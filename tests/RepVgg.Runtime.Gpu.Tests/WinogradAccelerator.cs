using ILGPU;
using ILGPU.Runtime.CPU;
using RepVgg.Gpu.Winograd;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// One ILGPU CPU accelerator and one <see cref="GpuWinogradConvolution"/> on it, shared by a test class: the
/// kernels compile once. The CPU device simulates a GPU's group of 256 threads (32 per warp, 8 warps),
/// which the GEMM needs; ILGPU's default CPU device allows 16.
/// </summary>
public sealed class WinogradAccelerator : IDisposable
{
    public WinogradAccelerator()
    {
        Context = Context.Create(builder => builder.CPU(new CPUDevice(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 8, numMultiprocessors: 1)));
        Accelerator = Context.CreateCPUAccelerator(0);
        Convolution = new GpuWinogradConvolution(Accelerator);
    }

    public Context Context { get; }

    public CPUAccelerator Accelerator { get; }

    internal GpuWinogradConvolution Convolution { get; }

    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}
