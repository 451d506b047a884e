extern alias compiler;

using System.Reflection;
using Microsoft.CodeAnalysis;
using CompilerWeightsStep = compiler::RepVgg.Compiler.WeightsStep;

namespace RepVgg.Generators.Tests;

/// <summary>
/// A generated class, compiled and loaded, over an engine that records how it is disposed: a running Infer
/// never sees its engine disposed, and Infer afterwards throws. With the real CPU engine paused inside a call,
/// Dispose and other callers are held until it ends deterministically, and the paused call still returns the
/// single-threaded logits; Dispose from inside the call's own onLayer releases the engine once the call ends. Its Backend, DeviceName and
/// Precision are its engine's.
/// </summary>
public sealed class GeneratedDisposeTests
{
    // Beside the generated TinyNet, as a user's own partial would be: a way in past the private constructor.
    private const string ProbeSource = """
        namespace Fixtures.Models;

        public sealed partial class TinyNet
        {
            public static TinyNet WithEngine(global::RepVgg.InferenceEngine engine) => new(engine);

            public void InferZeros() => Infer(new float[InputChannels * InputHeight * InputWidth], new float[ClassCount]);

            public void InferArrays(float[] images, float[] logits) => Infer(images, logits);

            public void InferArrays(float[] images, float[] logits, global::RepVgg.LayerActivationHandler onLayer) => Infer(images, logits, onLayer);

            public string[] InferCapturing(float[] images, float[] logits)
            {
                var shown = new global::System.Collections.Generic.List<string>();
                Infer(images, logits, layer => shown.Add($"{layer.Name} {layer.Batch}x{layer.Channels}x{layer.Height}x{layer.Width} {layer.Values.Length}"));
                return shown.ToArray();
            }
        }
        """;

    private static readonly Lazy<Type> s_tinyNet = new(CompileTinyNet);

    // The fused weights of the fixture TinyNet was generated from, as the weights step packs and embeds them;
    // shared by every engine, as a generated class shares its embedded blob.
    private static readonly Lazy<ModelWeights> s_weights = new(() =>
        CompilerWeightsStep.Compile(PyTorchFixtures.OfficialPth, new() { InputHeight = 32, InputWidth = 32 }).ToModelWeights());

    [Fact]
    public void Dispose_inside_onLayer_releases_the_engine_after_the_head_has_run()
    {
        NetworkLayout network = Network();
        var engine = new PausingEngine(CpuEngine(), pauseBefore: network.Layers[0]); // never armed: it only records
        var tinyNet = (IDisposable)Call("WithEngine", null, engine);
        float[] images = Images(seed: 5, network.ImageLength);
        float[] expected = NaNs(network.Head.Classes), logits = NaNs(network.Head.Classes);
        Call("InferArrays", tinyNet, images, expected);
        var disposeCountsInCallback = new List<int>();

        Call("InferArrays", tinyNet, images, logits, (LayerActivationHandler)(layer =>
        {
            if (layer.Name == network.Layers[0].Name) tinyNet.Dispose();
            disposeCountsInCallback.Add(engine.DisposeCount);
        }));

        Assert.Equal(Enumerable.Repeat(0, network.Layers.Count), disposeCountsInCallback);
        Assert.Equal(1, engine.DisposeCount);
        Assert.False(engine.DisposedDuringBatch, "The engine was disposed between BeginBatch and the head.");
        AssertBitIdentical(expected, logits, "the call Dispose was called inside");
        var afterwards = Assert.Throws<TargetInvocationException>(() => Call("InferArrays", tinyNet, images, NaNs(network.Head.Classes)));
        Assert.IsType<ObjectDisposedException>(afterwards.InnerException);
    }

    [Theory]
    [InlineData(Precision.Fp32)]
    [InlineData(Precision.Fp16)]
    public void Backend_DeviceName_and_Precision_are_the_engines(Precision precision)
    {
        // A GPU engine reports the precision it was asked for; none runs here, so the recording engine stands in.
        using var tinyNet = (IDisposable)Call("WithEngine", null, new RecordingEngine(Network(), precision));

        Assert.Equal(Backend.Cpu, Property<Backend>(tinyNet, "Backend"));
        Assert.Equal("recording", Property<string>(tinyNet, "DeviceName"));
        Assert.Equal(precision, Property<Precision>(tinyNet, "Precision"));
    }

    [Fact]
    public void Infer_with_onLayer_shows_every_layer_and_gives_the_same_logits()
    {
        NetworkLayout network = Network();
        using var engine = CpuEngine();
        var tinyNet = (IDisposable)Call("WithEngine", null, engine);
        float[] images = Images(seed: 3, network.ImageLength * 2);
        float[] plain = new float[2 * network.Head.Classes], captured = new float[plain.Length];
        Call("InferArrays", tinyNet, images, plain);

        var shown = (string[])Call("InferCapturing", tinyNet, images, captured)!;

        Assert.Equal(network.Layers.Select(l => $"{l.Name} 2x{l.OutChannels}x{l.OutHeight}x{l.OutWidth} {2 * l.OutChannels * l.OutHeight * l.OutWidth}"), shown);
        AssertBitIdentical(plain, captured, "logits with onLayer");
        Assert.Null(engine.LayerObserver);
    }

    [Fact]
    public void Infer_after_Dispose_throws_ObjectDisposedException()
    {
        var tinyNet = (IDisposable)Call("WithEngine", null, new RecordingEngine(Network()));
        Call("InferZeros", tinyNet);

        tinyNet.Dispose();

        var exception = Assert.Throws<TargetInvocationException>(() => Call("InferZeros", tinyNet));
        // Named for the class the caller used, not for the engine inside it.
        Assert.Equal("Fixtures.Models.TinyNet", Assert.IsType<ObjectDisposedException>(exception.InnerException).ObjectName);
    }

    [Fact]
    public void Dispose_and_other_callers_wait_for_a_running_Infer_which_returns_the_single_threaded_logits()
    {
        NetworkLayout network = Network();
        int imageLength = network.ImageLength, classes = network.Head.Classes;
        // Paused before the fourth layer: three layers have run on the worker pool, five are to come.
        var engine = new PausingEngine(CpuEngine(), pauseBefore: network.Layers[3]);
        var tinyNet = (IDisposable)Call("WithEngine", null, engine);
        object bystander = Call("WithEngine", null, CpuEngine());
        float[] images = Images(seed: 7, imageLength);
        float[] expected = NaNs(classes);
        Call("InferArrays", tinyNet, images, expected); // single-threaded, not paused
        Assert.Contains(expected, logit => logit != 0 && float.IsFinite(logit));

        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        float[] pausedLogits = NaNs(classes);
        var waitingLogits = new float[4][];
        int bystanderStop = 0, bystanderCalls = 0;
        Thread paused, disposer, bystanderThread;
        var waiting = new Thread[waitingLogits.Length];
        engine.Arm();
        try
        {
            try
            {
                paused = StartThread(() => Call("InferArrays", tinyNet, images, pausedLogits), errors);
                Assert.True(engine.Paused.Wait(TimeSpan.FromSeconds(30)), "Infer did not reach the paused layer within 30 s.");

                // Dispose, then four more callers, all while that call is inside Infer: each must block on its lock.
                disposer = StartThread(tinyNet.Dispose, errors);
                WaitFor(() => IsBlockedOrFinished(disposer), "Dispose to block or return");
                Thread.Sleep(50); // time for a Dispose that did not wait to return
                Assert.True(disposer.IsAlive, "Dispose returned while Infer was running on another thread.");
                Assert.Equal(0, engine.DisposeCount);
                for (int i = 0; i < waiting.Length; i++)
                {
                    float[] logits = waitingLogits[i] = NaNs(classes);
                    waiting[i] = StartThread(() => CallOrDisposed("InferArrays", tinyNet, images, logits), errors);
                    WaitFor(() => IsBlockedOrFinished(waiting[i]), $"caller {i} to block or return");
                    Assert.True(waiting[i].IsAlive, $"Caller {i} returned while Infer was running on another thread.");
                }

                // Another instance on the same weights and worker pool runs on throughout, Dispose included.
                bystanderThread = StartThread(() =>
                {
                    while (Volatile.Read(ref bystanderStop) == 0)
                    {
                        float[] logits = NaNs(classes);
                        Call("InferArrays", bystander, images, logits);
                        AssertBitIdentical(expected, logits, $"another instance, call {bystanderCalls}");
                        Interlocked.Increment(ref bystanderCalls);
                    }
                }, errors);
                WaitFor(() => Volatile.Read(ref bystanderCalls) >= 3 || !errors.IsEmpty, "the other instance's first calls");
            }
            finally
            {
                engine.Resume();
            }

            Assert.True(paused.Join(TimeSpan.FromSeconds(30)), "The paused Infer did not return within 30 s of resuming.");
            Assert.True(disposer.Join(TimeSpan.FromSeconds(30)), "Dispose did not return within 30 s of Infer returning.");
            foreach (Thread thread in waiting) Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "A waiting caller did not return within 30 s.");
            int callsBeforeDisposeReturned = Volatile.Read(ref bystanderCalls);
            WaitFor(() => Volatile.Read(ref bystanderCalls) >= callsBeforeDisposeReturned + 3 || !errors.IsEmpty, "the other instance's calls after Dispose");
        }
        finally
        {
            Volatile.Write(ref bystanderStop, 1);
        }
        Assert.True(bystanderThread.Join(TimeSpan.FromSeconds(30)), "The other instance's calls did not stop within 30 s.");
        if (!errors.IsEmpty) throw new AggregateException(errors);

        AssertBitIdentical(expected, pausedLogits, "the call Dispose waited for");
        Assert.Equal(1, engine.DisposeCount);
        Assert.False(engine.DisposedDuringBatch, "The engine was disposed between BeginBatch and the head.");
        // Each waiting caller ran before Dispose took the lock, with the same logits, or after it and threw.
        for (int i = 0; i < waitingLogits.Length; i++)
        {
            if (!waitingLogits[i].All(float.IsNaN))
                AssertBitIdentical(expected, waitingLogits[i], $"waiting caller {i}");
        }

        var afterwards = Assert.Throws<TargetInvocationException>(() => Call("InferArrays", tinyNet, images, NaNs(classes)));
        Assert.IsType<ObjectDisposedException>(afterwards.InnerException);
        tinyNet.Dispose();
        Assert.Equal(1, engine.DisposeCount);
    }

    private static InferenceEngine CpuEngine() => InferenceEngine.Create(Backend.Cpu, Network(), s_weights.Value);

    private static float[] Images(int seed, int length)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => 2 * random.NextSingle() - 1).ToArray();
    }

    private static float[] NaNs(int length) => Enumerable.Repeat(float.NaN, length).ToArray();

    private static void AssertBitIdentical(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: logit {i} is {actual[i]:R}; the single-threaded run gave {expected[i]:R}.");
    }

    /// <summary>Calls <paramref name="method"/>; an ObjectDisposedException leaves <paramref name="logits"/> (the last argument) untouched, as all NaN.</summary>
    private static void CallOrDisposed(string method, object target, float[] images, float[] logits)
    {
        try
        {
            Call(method, target, images, logits);
        }
        catch (TargetInvocationException exception) when (exception.InnerException is ObjectDisposedException)
        {
            Assert.True(logits.All(float.IsNaN), "A call that threw ObjectDisposedException wrote logits.");
        }
    }

    private static Thread StartThread(Action body, System.Collections.Concurrent.ConcurrentQueue<Exception> errors)
    {
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception exception)
            {
                errors.Enqueue(exception is TargetInvocationException { InnerException: { } inner } ? inner : exception);
            }
        }) { IsBackground = true };
        thread.Start();
        return thread;
    }

    /// <summary>Whether <paramref name="thread"/> is blocked (on a lock, here) or has finished.</summary>
    private static bool IsBlockedOrFinished(Thread thread) =>
        (thread.ThreadState & (ThreadState.WaitSleepJoin | ThreadState.Stopped)) != 0;

    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Waited 30 s for {what}.");
            Thread.Sleep(1);
        }
    }

    private static NetworkLayout Network() =>
        (NetworkLayout)s_tinyNet.Value.GetField("Network", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;

    private static object Call(string method, object? target, params object[] arguments) =>
        s_tinyNet.Value.GetMethod(method, arguments.Select(argument => argument.GetType()).ToArray())!.Invoke(target, arguments)!;

    private static T Property<T>(object target, string name) => (T)s_tinyNet.Value.GetProperty(name)!.GetValue(target)!;

    private static Type CompileTinyNet()
    {
        GeneratorHarness.CreateDriver([TestModels.TinyFixture]).RunGeneratorsAndUpdateCompilation(
            GeneratorHarness.CreateCompilation(ProbeSource), out Compilation output, out _);
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return Assembly.Load(image.ToArray()).GetType("Fixtures.Models.TinyNet", throwOnError: true)!;
    }

    /// <summary>
    /// A real engine that, once armed, pauses its next call before <paramref name="pauseBefore"/> until resumed,
    /// and notes how it is disposed.
    /// </summary>
    private sealed class PausingEngine(InferenceEngine inner, Conv3x3Layer pauseBefore) : InferenceEngine(inner.Network, inner.Weights)
    {
        private readonly ManualResetEventSlim _resume = new();
        private volatile bool _armed;
        private bool _inBatch;

        public ManualResetEventSlim Paused { get; } = new();

        public int DisposeCount { get; private set; }

        /// <summary>Whether Dispose ran between a batch's BeginBatch and its head.</summary>
        public bool DisposedDuringBatch { get; private set; }

        public void Arm() => _armed = true;

        public void Resume() => _resume.Set();

        public override int MaxBatch => inner.MaxBatch;

        public override Backend Backend => inner.Backend;

        public override string DeviceName => inner.DeviceName;

        public override long BufferBytes(int batch) => inner.BufferBytes(batch);

        protected override void LoadInput(ReadOnlySpan<float> images, int batch)
        {
            _inBatch = true;
            inner.BeginBatch(images, new float[batch * Network.Head.Classes]);
        }

        protected override void RunConv3x3BiasRelu(Conv3x3Layer layer)
        {
            if (ReferenceEquals(layer, pauseBefore) && _armed)
            {
                _armed = false;
                Paused.Set();
                _resume.Wait();
            }
            inner.Conv3x3BiasRelu(layer);
        }

        public override void GlobalAveragePoolLinear(LinearHead head, Span<float> logits)
        {
            inner.GlobalAveragePoolLinear(head, logits);
            _inBatch = false;
        }

        public override void CopyActivation(Span<float> nchw) => inner.CopyActivation(nchw);

        protected override void Dispose(bool disposing)
        {
            DisposeCount++;
            DisposedDuringBatch |= _inBatch;
            inner.Dispose();
        }
    }

    /// <summary>Runs nothing, and reports <paramref name="precision"/>.</summary>
    private sealed class RecordingEngine(NetworkLayout network, Precision precision = Precision.Fp32)
        : InferenceEngine(network, ModelWeights.FromArray(new float[1], WeightsLayout.Compact))
    {
        public override Precision Precision => precision;

        public override int MaxBatch => 1;

        public override Backend Backend => Backend.Cpu;

        public override string DeviceName => "recording";

        public override long BufferBytes(int batch) => 0;

        protected override void LoadInput(ReadOnlySpan<float> images, int batch) { }

        protected override void RunConv3x3BiasRelu(Conv3x3Layer layer) { }

        public override void GlobalAveragePoolLinear(LinearHead head, Span<float> logits) { }

        public override void CopyActivation(Span<float> nchw) { }
    }
}
