using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using RepVgg.Gpu;

// Each test class's CPU accelerator simulates a GPU's threads with OS threads, so the tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// ILGPU's CPU accelerator for one test class (an xunit class fixture): it runs the very kernels CUDA runs, each group's
/// threads simulated with OS threads, on the backend's device (<see cref="GpuEngines.CpuDevice"/>, up to 512 threads per
/// group). Its context is disposed with it when the class's tests are done, and with it the IR and code of every kernel
/// the class compiled: one context for the whole run kept them all and took the test host past 15 GB.
/// </summary>
public sealed class TestAccelerator : IDisposable
{
    private readonly Context _context;

    public TestAccelerator()
    {
        _context = Context.Create(builder => builder.CPU(GpuEngines.CpuDevice));
        Cpu = _context.CreateCPUAccelerator(0);
    }

    public CPUAccelerator Cpu { get; }

    public void Dispose()
    {
        Cpu.Dispose();
        _context.Dispose();
    }
}
