using System.Reflection;
using Microsoft.CodeAnalysis;

namespace RepVgg.Generators.Tests;

/// <summary>
/// A generated class, compiled and loaded, over an engine that records how it is disposed: Dispose takes
/// the lock Infer holds, so a running Infer never sees its engine disposed, and Infer afterwards throws.
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
        }
        """;

    private static readonly Lazy<Type> s_tinyNet = new(CompileTinyNet);

    [Fact]
    public void Dispose_disposes_the_engine_inside_the_lock_Infer_takes()
    {
        var engine = new RecordingEngine(Network());
        var tinyNet = (IDisposable)Call("WithEngine", null, engine);

        tinyNet.Dispose();

        Assert.True(engine.LockHeldOnDispose);
    }

    [Fact]
    public void Infer_after_Dispose_throws_ObjectDisposedException()
    {
        var tinyNet = (IDisposable)Call("WithEngine", null, new RecordingEngine(Network()));
        Call("InferZeros", tinyNet);

        tinyNet.Dispose();

        var exception = Assert.Throws<TargetInvocationException>(() => Call("InferZeros", tinyNet));
        Assert.IsType<ObjectDisposedException>(exception.InnerException);
    }

    private static NetworkLayout Network() =>
        (NetworkLayout)s_tinyNet.Value.GetField("Network", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;

    private static object Call(string method, object? target, params object[] arguments) =>
        s_tinyNet.Value.GetMethod(method)!.Invoke(target, arguments)!;

    private static Type CompileTinyNet()
    {
        GeneratorHarness.CreateDriver([TestModels.TinyFixture]).RunGeneratorsAndUpdateCompilation(
            GeneratorHarness.CreateCompilation(ProbeSource), out Compilation output, out _);
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return Assembly.Load(image.ToArray()).GetType("Fixtures.Models.TinyNet", throwOnError: true)!;
    }

    /// <summary>Runs nothing; notes whether the disposing thread held the engine's lock.</summary>
    private sealed class RecordingEngine(NetworkLayout network) : InferenceEngine(network, ModelWeights.FromArray(new float[1]))
    {
        public bool? LockHeldOnDispose { get; private set; }

        public override int MaxBatch => 1;

        public override long BufferBytes(int batch) => 0;

        protected override void LoadInput(ReadOnlySpan<float> images, int batch) { }

        public override void Conv3x3BiasRelu(Conv3x3Layer layer) { }

        public override void GlobalAveragePoolLinear(LinearHead head, Span<float> logits) { }

        protected override void Dispose(bool disposing) => LockHeldOnDispose = Monitor.IsEntered(this);
    }
}
