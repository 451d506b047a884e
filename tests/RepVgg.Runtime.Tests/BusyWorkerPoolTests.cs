using RepVgg.Cpu;

namespace RepVgg.Runtime.Tests;

/// <summary>Tests that occupy the process's worker pool, which every other test's engines use: they run alone.</summary>
[CollectionDefinition(nameof(WorkerPoolOccupyingCollection), DisableParallelization = true)]
public sealed class WorkerPoolOccupyingCollection;

/// <summary>
/// Engines while every thread of the process's <see cref="WorkerPool"/> is held by another caller's work: they run
/// their layers on their own threads with the logits they give on the pool, bit for bit; disposing one of them
/// then leaves the pool and the other engines working.
/// </summary>
[Collection(nameof(WorkerPoolOccupyingCollection))]
public sealed class BusyWorkerPoolTests
{
    [Fact]
    public async Task Disposing_an_engine_while_the_pool_is_busy_leaves_the_pool_and_the_other_engines_working()
    {
        var network = TestNetwork.Create(5, 3, 30, 29,
            [new(16, 1, 2), new(32, 1, 1, ConvAlgorithm.Winograd4x4), new(32, 2, 1, ConvAlgorithm.Winograd2x2), new(48, 1, 2)], classes: 10);
        // One blob for every engine, as a generated class shares its embedded weights.
        ModelWeights weights = ModelWeights.FromArray(network.Blob, WeightsLayout.Prepacked);
        float[] images = network.Images(2, seed: 4);
        using InferenceEngine shared = InferenceEngine.Create(Backend.Cpu, network.Layout, weights);
        float[] expected = Infer(shared, network.Layout, images); // on the idle pool
        InferenceEngine disposed = InferenceEngine.Create(Backend.Cpu, network.Layout, weights);
        Assert.Equal(expected, Infer(disposed, network.Layout, images));

        WorkerPool pool = WorkerPool.Shared;
        var blocker = new BlockingWork(pool.Parallelism);
        var holder = new Thread(() => pool.Run(blocker, pool.Parallelism)) { IsBackground = true };
        holder.Start();
        var results = new float[4][];
        try
        {
            // Each pool thread (the holder and every worker) has taken one item and waits in it.
            Assert.True(blocker.AllEntered.Wait(TimeSpan.FromSeconds(30)),
                $"{blocker.AllEntered.CurrentCount} of {pool.Parallelism} pool threads did not take an item within 30 s.");

            // On a task, so that an engine waiting for the pool fails the test rather than hanging it.
            var busyPhase = Task.Factory.StartNew(() =>
            {
                disposed.Dispose();
                Assert.Throws<ObjectDisposedException>(() => Infer(disposed, network.Layout, images));
                // Engines on four threads and this one, each running its layers itself: the pool is taken.
                Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = results.Length }, i =>
                {
                    using InferenceEngine own = InferenceEngine.Create(Backend.Cpu, network.Layout, weights);
                    results[i] = Infer(own, network.Layout, images);
                });
                Assert.Equal(expected, Infer(shared, network.Layout, images));
                // The scalar reference, layer by layer, on an engine that cannot use the pool either.
                using CpuInferenceEngine checkedEngine = network.CreateEngine(VectorWidths.Widest);
                ReferenceComparison.CheckBatch(checkedEngine, network, batch: 2, seed: 4);
            }, TaskCreationOptions.LongRunning);
            Assert.True(await Task.WhenAny(busyPhase, Task.Delay(TimeSpan.FromSeconds(30))) == busyPhase,
                "Engines did not finish within 30 s while the pool was busy.");
            await busyPhase; // its assertion failures, if any
        }
        finally
        {
            blocker.Release();
        }

        Assert.True(holder.Join(TimeSpan.FromSeconds(30)), "The pool's holder did not return within 30 s of releasing its items.");
        Assert.Equal(pool.Parallelism, blocker.ItemsRun);
        Assert.All(results, logits => Assert.Equal(expected, logits));
        // The pool serves the next caller, old engine and new alike.
        Assert.Equal(expected, Infer(shared, network.Layout, images));
        using InferenceEngine fresh = InferenceEngine.Create(Backend.Cpu, network.Layout, weights);
        Assert.Equal(expected, Infer(fresh, network.Layout, images));
    }

    private static float[] Infer(InferenceEngine engine, NetworkLayout layout, float[] images)
    {
        var logits = new float[images.Length / layout.ImageLength * layout.Head.Classes];
        engine.BeginBatch(images, logits);
        foreach (Conv3x3Layer layer in layout.Layers) engine.Conv3x3BiasRelu(layer);
        engine.GlobalAveragePoolLinear(layout.Head, logits);
        return logits;
    }

    /// <summary>Items that each note they have started, then wait until released.</summary>
    private sealed class BlockingWork(int items) : IParallelWork
    {
        private readonly ManualResetEventSlim _release = new();
        private int _itemsRun;

        public CountdownEvent AllEntered { get; } = new(items);

        public int ItemsRun => Volatile.Read(ref _itemsRun);

        public void Release() => _release.Set();

        public void Run(int item)
        {
            AllEntered.Signal();
            _release.Wait();
            Interlocked.Increment(ref _itemsRun);
        }
    }
}
