namespace RepVgg.Integration.Tests;

/// <summary>
/// <c>Infer</c> called on an instance from inside that instance's own <c>onLayer</c> callback, on the class the build
/// generated from the PyTorch fixture (TinyOfficial, 3 x 64 x 64). The nested call is refused with an
/// <see cref="InvalidOperationException"/> that says what happened and what to do, before it touches the outer call's
/// activations: an outer call that lets the exception through surfaces it, one whose callback catches it returns
/// PyTorch's logits, and the instance gives a fresh instance's logits, bit for bit, afterwards.
/// </summary>
public sealed class ReentrantInferenceTests
{
    private const string FirstLayer = "stage0";
    // The last conv layer: its callback runs just before the head writes the logits.
    private const string LastLayer = "stage4.0";

    private static readonly Lazy<Expected> s_expected = new(Expected.Compute);

    public static IEnumerable<object[]> Layers => [[FirstLayer], [LastLayer]];

    [Theory]
    [MemberData(nameof(Layers))]
    public void Nested_Infer_is_refused_and_the_outer_call_surfaces_it(string layer)
    {
        Expected expected = s_expected.Value;
        using var net = TinyOfficial.Create(Backend.Cpu);
        int nestedCalls = 0;

        var outer = Assert.Throws<InvalidOperationException>(() => net.Infer(expected.Images, NewLogits(), activation =>
        {
            if (activation.Name != layer) return;
            nestedCalls++;
            net.Infer(expected.Images, NewLogits());
        }));

        Assert.Equal(1, nestedCalls);
        AssertSaysWhatToDo(outer);
        AssertUsable(net);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Nested_Infer_caught_inside_the_callback_leaves_the_outer_call_its_logits(string layer)
    {
        Expected expected = s_expected.Value;
        using var net = TinyOfficial.Create(Backend.Cpu);
        float[] logits = NewLogits();
        var nested = new List<Exception>();

        net.Infer(expected.Images, logits, activation =>
        {
            if (activation.Name != layer) return;
            // Both instance overloads; the logits they were given stay untouched.
            float[] untouched = NewLogits();
            nested.Add(Assert.Throws<InvalidOperationException>(() => net.Infer(expected.Images, untouched)));
            nested.Add(Assert.Throws<InvalidOperationException>(() => net.Infer(expected.Images, untouched, _ => { })));
            Assert.All(untouched, logit => Assert.True(float.IsNaN(logit), "A refused nested call wrote logits."));
        });

        Assert.Equal(2, nested.Count);
        Assert.All(nested, AssertSaysWhatToDo);
        expected.AssertSameAsFreshInstance(logits, $"the outer call, nested call refused at {layer}");
        AssertUsable(net);
    }

    [Fact]
    public void A_callback_that_always_recurses_is_refused_once_not_a_stack_overflow()
    {
        Expected expected = s_expected.Value;
        using var net = TinyOfficial.Create(Backend.Cpu);
        int nestedCalls = 0;
        void Recurse(LayerActivation _)
        {
            nestedCalls++;
            net.Infer(expected.Images, NewLogits(), Recurse);
        }

        AssertSaysWhatToDo(Assert.Throws<InvalidOperationException>(() => net.Infer(expected.Images, NewLogits(), Recurse)));

        Assert.Equal(1, nestedCalls);
        AssertUsable(net);
    }

    [Fact]
    public void The_static_Infer_inside_the_shared_instances_callback_is_refused()
    {
        Expected expected = s_expected.Value;
        float[] image = expected.Images[..TinyOfficial.ImageFloats];

        var nested = Assert.Throws<InvalidOperationException>(() => TinyOfficial.InferOnSharedInstance(expected.Images, NewLogits(), activation =>
        {
            if (activation.Name == FirstLayer) TinyOfficial.Infer(image);
        }));

        AssertSaysWhatToDo(nested);
        expected.AssertSameAsFreshInstance(TinyOfficial.Infer(image), "the static Infer afterwards", images: 1);
    }

    [Fact]
    public void Another_instance_may_infer_inside_the_callback()
    {
        Expected expected = s_expected.Value;
        using var net = TinyOfficial.Create(Backend.Cpu);
        using var other = TinyOfficial.Create(Backend.Cpu);
        float[] outerLogits = NewLogits(), otherLogits = NewLogits(), staticLogits = [];

        net.Infer(expected.Images, outerLogits, activation =>
        {
            if (activation.Name != FirstLayer) return;
            other.Infer(expected.Images, otherLogits);
            // The static Infer runs on the shared instance: another instance too.
            staticLogits = TinyOfficial.Infer(expected.Images[..TinyOfficial.ImageFloats]);
        });

        expected.AssertSameAsFreshInstance(outerLogits, "the outer call");
        expected.AssertSameAsFreshInstance(otherLogits, "another instance inside the callback");
        expected.AssertSameAsFreshInstance(staticLogits, "the static Infer inside the callback", images: 1);
    }

    [Fact]
    public void Dispose_inside_the_callback_lets_the_call_finish_then_disposes()
    {
        Expected expected = s_expected.Value;
        var net = TinyOfficial.Create(Backend.Cpu);
        float[] logits = NewLogits();
        Exception? nestedAfterDispose = null;

        net.Infer(expected.Images, logits, activation =>
        {
            if (activation.Name != FirstLayer) return;
            net.Dispose();
            nestedAfterDispose = Record.Exception(() => net.Infer(expected.Images, NewLogits()));
        });

        expected.AssertSameAsFreshInstance(logits, "the call Dispose ran inside");
        // As after any Dispose: the instance refuses calls, naming the generated class.
        Assert.Equal(typeof(TinyOfficial).FullName, Assert.IsType<ObjectDisposedException>(nestedAfterDispose).ObjectName);
        Assert.Throws<ObjectDisposedException>(() => net.Infer(expected.Images, NewLogits()));
        net.Dispose();
    }

    private static float[] NewLogits(int images = 3) => Enumerable.Repeat(float.NaN, images * TinyOfficial.ClassCount).ToArray();

    private static void AssertSaysWhatToDo(Exception exception)
    {
        Assert.IsType<InvalidOperationException>(exception);
        Assert.Contains("TinyOfficial.Infer was called from inside this instance's onLayer callback", exception.Message);
        Assert.Contains("use another instance (TinyOfficial.Create()) for a nested inference", exception.Message);
    }

    /// <summary>Both overloads of <paramref name="net"/> give a fresh instance's logits, bit for bit.</summary>
    private static void AssertUsable(TinyOfficial net)
    {
        Expected expected = s_expected.Value;
        float[] plain = NewLogits(), captured = NewLogits();
        int layers = 0;
        net.Infer(expected.Images, plain);
        net.Infer(expected.Images, captured, _ => layers++);
        expected.AssertSameAsFreshInstance(plain, "the instance's next call");
        expected.AssertSameAsFreshInstance(captured, "the instance's next call with onLayer");
        Assert.Equal(8, layers);
    }

    /// <summary>The fixture's x64 batch (3 images), and a fresh CPU instance's logits for it, checked against PyTorch's.</summary>
    private sealed record Expected(float[] Images, float[] Logits)
    {
        public static Expected Compute()
        {
            PyTorchFixtures.Input input = PyTorchFixtures.LoadInput("x64");
            Assert.Equal(3, input.Batch);
            using var fresh = TinyOfficial.Create(Backend.Cpu);
            float[] logits = NewLogits();
            fresh.Infer(input.Images, logits);
            NumericAssert.Close(input.Logits, logits, 1e-5, "a fresh TinyOfficial on x64");
            return new Expected(input.Images, logits);
        }

        /// <summary>Checks the logits of the first <paramref name="images"/> images against the fresh instance's, bit for bit.</summary>
        public void AssertSameAsFreshInstance(float[] actual, string what, int images = 3)
        {
            Assert.Equal(images * TinyOfficial.ClassCount, actual.Length);
            for (int i = 0; i < actual.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(Logits[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                    $"{what}: logit {i} is {actual[i]:R}; a fresh instance gave {Logits[i]:R}.");
        }
    }
}

/// <summary>The test's way to the instance the static <c>Infer</c> runs on, as a user's own partial could reach it.</summary>
public sealed partial class TinyOfficial
{
    /// <summary>Floats in one image.</summary>
    public const int ImageFloats = InputChannels * InputHeight * InputWidth;

    public static void InferOnSharedInstance(float[] images, float[] logits, LayerActivationHandler onLayer) =>
        s_shared.Value.Infer(images, logits, onLayer);
}
