using System.Diagnostics;
using RepVgg.Checkpoints;
using RepVgg.Compiler;

namespace RepVgg.Fuzz;

/// <summary>What reading one input did.</summary>
/// <param name="Exception">What it threw, or null.</param>
/// <param name="Finished">False when it was still running at the time limit.</param>
/// <param name="Elapsed">Wall time until it finished, or until the limit.</param>
/// <param name="AllocatedBytes">Bytes the reading thread allocated (exact once finished; the process's count while still running).</param>
internal sealed record Outcome(Exception? Exception, bool Finished, TimeSpan Elapsed, long AllocatedBytes);

/// <summary>What the fuzzer asks of an input.</summary>
internal enum Target
{
    /// <summary><see cref="WeightsStep.Compile"/>, as the build runs it: the reader, then inference, fusion and packing.</summary>
    Compile,
    /// <summary><see cref="CheckpointReader.Read"/>, then every tensor's values, as a tool listing a checkpoint would.</summary>
    ReadAll,
}

/// <summary>
/// Runs one input on a thread of its own, so a hang is seen (the thread cannot be stopped; the caller
/// gives up on the process instead) and the allocation count is that thread's alone.
/// </summary>
internal static class InputRunner
{
    /// <summary>How often the waiting thread looks at the clock and the process's allocations.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    public static Outcome Run(string path, Target target, CompileOptions options, TimeSpan limit, out Thread worker)
    {
        Exception? error = null;
        long allocated = 0;
        using var done = new ManualResetEventSlim();
        worker = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                Execute(path, target, options);
            }
            catch (Exception e)
            {
                error = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            done.Set();
        })
        { IsBackground = true, Name = "fuzz input" };

        long processBefore = GC.GetTotalAllocatedBytes();
        var clock = Stopwatch.StartNew();
        worker.Start();
        while (!done.Wait(Poll))
        {
            if (clock.Elapsed >= limit)
                return new Outcome(null, false, clock.Elapsed, GC.GetTotalAllocatedBytes() - processBefore);
        }
        return new Outcome(error, true, clock.Elapsed, allocated);
    }

    private static void Execute(string path, Target target, CompileOptions options)
    {
        if (target == Target.Compile)
        {
            WeightsStep.Compile(path, options);
            return;
        }
        StateDict tensors = CheckpointReader.Read(path, options.StateDictKey);
        foreach (CheckpointTensor tensor in tensors.Values)
        {
            try
            {
                tensor.ToDoubleArray();
            }
            catch (CheckpointException e) when (e.Problem == CheckpointProblem.UnsupportedDType)
            {
                // int64 num_batches_tracked and the like: refused by design; the rest are still read.
            }
        }
    }
}
