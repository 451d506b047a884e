using System.Runtime;
using ILGPU;
using ILGPU.Runtime.CPU;
using RepVgg.Gpu;

// Each test class's CPU accelerator simulates a GPU's threads with OS threads, so the tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// ILGPU's CPU accelerator for one test class (an xunit class fixture): it runs the very kernels CUDA runs, each group's
/// threads simulated with OS threads, on the backend's device (<see cref="GpuEngines.CpuDevice"/>, up to 512 threads per
/// group). When the class's tests are done its context's caches are cleared and it is disposed, and with it the IR and
/// code of every kernel the class compiled: one context for the whole run kept them all and took the test host past 15 GB.
/// </summary>
public sealed class TestAccelerator : IDisposable
{
    // Dropped at Dispose: xunit may hold a fixture until the run ends, and it must not hold the context's caches with it.
    private Context? _context;
    private CPUAccelerator? _cpu;

    public TestAccelerator()
    {
        _context = Context.Create(builder => builder.CPU(GpuEngines.CpuDevice));
        _cpu = _context.CreateCPUAccelerator(0);
    }

    public CPUAccelerator Cpu => _cpu ?? throw new ObjectDisposedException(nameof(TestAccelerator));

    public void Dispose()
    {
        _cpu?.Dispose();
        _context?.ClearCache(ClearCacheMode.Everything);
        _context?.Dispose();
        (_cpu, _context) = (null, null);
        // Hand the class's IR and code back before the next class compiles its own: left to the GC's pace, two
        // classes' kernels can be resident at once, which is the host's peak.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
