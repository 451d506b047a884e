using RepVgg.Cpu;

namespace RepVgg.Runtime.Tests;

/// <summary>
/// An item that throws, on the caller's thread or a worker's: the exception reaches the caller (a worker
/// thread's would otherwise end the process), and only once every thread has left that call does the pool
/// take the next, which then runs every item exactly once.
/// </summary>
[Collection(nameof(WorkerPoolOccupyingCollection))]
public sealed class WorkerPoolFailureTests
{
    [Fact]
    public void Items_that_throw_reach_the_caller_and_the_pool_runs_the_next_call_whole()
    {
        WorkerPool pool = WorkerPool.Shared;
        // Every eighth item throws, so whichever threads take items, some of each throw.
        var failing = new Work(throwEvery: 8, items: 64);
        var error = Assert.Throws<InvalidOperationException>(() => pool.Run(failing, 64));
        Assert.StartsWith("item ", error.Message);

        for (int round = 0; round < 20; round++)
        {
            var work = new Work(throwEvery: 0, items: 1000);
            pool.Run(work, 1000);
            Assert.All(work.Runs, runs => Assert.Equal(1, runs));
        }
    }

    private sealed class Work(int throwEvery, int items) : IParallelWork
    {
        public int[] Runs { get; } = new int[items];

        public void Run(int item)
        {
            Interlocked.Increment(ref Runs[item]);
            // Long enough that the workers are still busy when the caller's own item throws.
            Thread.SpinWait(2000);
            if (throwEvery > 0 && item % throwEvery == 0)
                throw new InvalidOperationException($"item {item} failed");
        }
    }
}
