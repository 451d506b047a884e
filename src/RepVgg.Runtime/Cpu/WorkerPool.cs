using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace RepVgg.Cpu;

/// <summary>A unit of parallel work: items <c>0 .. count - 1</c>, each independent of the others.</summary>
internal interface IParallelWork
{
    /// <summary>Runs item <paramref name="item"/>; called once per item, from any thread.</summary>
    void Run(int item);
}

/// <summary>
/// The CPU engine's threads: one per core besides the caller's, started once per process and kept
/// for its lifetime, which split each layer's items between them and the calling thread.
/// </summary>
/// <remarks>
/// <para>
/// Why not <c>Parallel.For</c>: it allocates per call (a delegate and its partitioner state; about
/// 41 KB per A0 inference) and hands items to the .NET thread pool, whose threads may be busy
/// elsewhere. Here a layer costs a few field writes and, at most, one wake-up; nothing is allocated.
/// </para>
/// <para>
/// Items are claimed one at a time from a shared counter, so a core that is slowed (by another
/// process on this shared machine, say) simply takes fewer. Between layers the workers spin for
/// <see cref="SpinMicroseconds"/> before they block: a network's next layer follows within
/// microseconds, and waking a blocked thread costs tens of microseconds, as long as a small late
/// layer takes to compute. The spin is short so that an idle process gives the cores back at once.
/// </para>
/// <para>
/// One caller at a time uses the workers. A second caller (another instance inferring on another
/// thread) does not wait for them: it runs its items on its own thread, so parallel instances
/// stay independent and never deadlock.
/// </para>
/// </remarks>
internal sealed class WorkerPool
{
    /// <summary>How long a worker waits for the next layer before it blocks.</summary>
    private const int SpinMicroseconds = 200;

    /// <summary>The process's pool: a worker per core besides the caller.</summary>
    public static WorkerPool Shared { get; } = new(Environment.ProcessorCount - 1);

    private readonly object _gate = new();
    // Blocked workers wait on it; the caller publishes each generation under it and pulses them. A worker checks the
    // generation under the same lock before it waits, so it cannot miss one.
    private readonly object _signal = new();
    private readonly int _workers;

    // The current work: written by the caller, then published by incrementing _generation.
    private IParallelWork? _work;
    private int _count;
    private int _next;
    // Workers that have not yet finished the current generation; every worker takes part in every one.
    private int _unfinished;
    // Written only under _signal; read by spinning workers without it.
    private int _generation;

    // The first exception an item threw on a worker thread in the current generation.
    private ExceptionDispatchInfo? _workerFailure;

    internal WorkerPool(int workers)
    {
        _workers = Math.Max(0, workers);
        for (int i = 0; i < _workers; i++)
            new Thread(WorkerLoop) { IsBackground = true, Name = $"RepVgg CPU worker {i + 1}" }.Start();
    }

    /// <summary>Threads that run items: the workers and the caller.</summary>
    public int Parallelism => _workers + 1;

    /// <summary>Runs items <c>0 .. count - 1</c> of <paramref name="work"/> and returns when all have finished.</summary>
    public void Run(IParallelWork work, int count)
    {
        if (count <= 0)
            return;
        if (count == 1 || _workers == 0 || !Monitor.TryEnter(_gate))
        {
            for (int item = 0; item < count; item++)
                work.Run(item);
            return;
        }

        try
        {
            _work = work;
            _count = count;
            _next = 0;
            _unfinished = _workers;
            lock (_signal) // a full fence: the fields above are visible before the generation
            {
                _generation++;
                Monitor.PulseAll(_signal);
            }

            ExceptionDispatchInfo? workerFailure;
            try
            {
                RunItems(work, count);
            }
            finally
            {
                // Even when an item threw here, the workers must be done with this generation before the
                // gate opens: the next caller resets the fields they read. Their failures belong to this call.
                SpinWait spin = default;
                while (Volatile.Read(ref _unfinished) != 0)
                    spin.SpinOnce(sleep1Threshold: -1);
                _work = null;
                workerFailure = Interlocked.Exchange(ref _workerFailure, null);
            }
            // An item that threw on a worker thread is rethrown here, on the caller's.
            workerFailure?.Throw();
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    private void RunItems(IParallelWork work, int count)
    {
        for (int item = Interlocked.Increment(ref _next) - 1; item < count; item = Interlocked.Increment(ref _next) - 1)
            work.Run(item);
    }

    private void WorkerLoop()
    {
        int seen = 0;
        long spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
        while (true)
        {
            WaitForGeneration(seen, spinTicks);
            // The caller cannot start another generation until this worker has finished this one.
            seen = Volatile.Read(ref _generation);
            try
            {
                RunItems(_work!, _count);
            }
            catch (Exception e)
            {
                // An exception escaping a worker thread would end the process; the caller throws it instead.
                Interlocked.CompareExchange(ref _workerFailure, ExceptionDispatchInfo.Capture(e), null);
            }
            Interlocked.Decrement(ref _unfinished);
        }
    }

    /// <summary>Returns once the generation differs from <paramref name="seen"/>: spinning first, then blocked.</summary>
    private void WaitForGeneration(int seen, long spinTicks)
    {
        long deadline = Stopwatch.GetTimestamp() + spinTicks;
        while (Volatile.Read(ref _generation) == seen)
        {
            if (Stopwatch.GetTimestamp() < deadline)
            {
                Thread.SpinWait(10);
                continue;
            }
            lock (_signal)
            {
                // The caller changes the generation only under this lock and pulses after it, so a worker that finds
                // it unchanged here is waiting before that pulse.
                while (_generation == seen)
                    Monitor.Wait(_signal);
            }
            return;
        }
    }
}
