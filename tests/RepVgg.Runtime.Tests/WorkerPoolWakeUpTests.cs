using RepVgg.Cpu;

namespace RepVgg.Runtime.Tests;

/// <summary>
/// A pool with more workers than CI's 2 cores give the shared one (which has one): calls separated by pauses longer
/// than the workers' spin, so that they block between calls and must be woken for every one. A wake-up the pool loses
/// leaves its caller waiting for a worker for ever, as the CPU engine once did with 3 or more threads; here that fails
/// the test after a minute instead.
/// </summary>
public sealed class WorkerPoolWakeUpTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(15)]
    public void Every_call_wakes_every_worker_and_runs_every_item_once(int workers)
    {
        var pool = new WorkerPool(workers);
        var random = new Random(workers);
        Task calls = Task.Run(() =>
        {
            for (int call = 0; call < 300; call++)
            {
                var work = new Work(items: 4 * (workers + 1));
                pool.Run(work, work.Runs.Length);
                Assert.All(work.Runs, runs => Assert.Equal(1, runs));
                // Sometimes straight on (the workers still spinning), sometimes after they have blocked.
                if (random.Next(2) == 0)
                    Thread.Sleep(1);
            }
        });
        Assert.True(calls.Wait(TimeSpan.FromMinutes(1)), $"A call to a pool of {workers} workers did not return within a minute: a worker was never woken.");
        calls.GetAwaiter().GetResult();
    }

    private sealed class Work(int items) : IParallelWork
    {
        public int[] Runs { get; } = new int[items];

        public void Run(int item) => Interlocked.Increment(ref Runs[item]);
    }
}
