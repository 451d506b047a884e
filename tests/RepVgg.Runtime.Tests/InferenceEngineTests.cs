using RepVgg.Cpu;

namespace RepVgg.Runtime.Tests;

/// <summary>What the engine refuses, and how it says so.</summary>
public class InferenceEngineTests
{
    // 3 x 7 x 5 in, 16 x 4 x 3 after the stride-2 layer, 48 x 4 x 3 after the second, 10 classes.
    private static readonly TestNetwork Network = TestNetwork.Create(3, 3, 7, 5, [new(16, 1, 2), new(48, 1, 1)], classes: 10);

    private static InferenceEngine CreateEngine() =>
        InferenceEngine.Create(Backend.Cpu, Network.Layout, ModelWeights.FromArray(Network.Blob));

    [Theory]
    [InlineData(0)]
    [InlineData(104)]
    [InlineData(106)]
    public void BeginBatch_rejects_an_image_length_naming_the_expected_shape(int length)
    {
        using InferenceEngine engine = CreateEngine();
        var error = Assert.Throws<ArgumentException>(() => engine.BeginBatch(new float[length], new float[10]));
        Assert.Equal("images", error.ParamName);
        Assert.Contains("N x 3 x 7 x 5", error.Message);
        Assert.Contains($"found {length}", error.Message);
    }

    [Fact]
    public void BeginBatch_rejects_a_logits_length_naming_the_expected_shape()
    {
        using InferenceEngine engine = CreateEngine();
        var error = Assert.Throws<ArgumentException>(() => engine.BeginBatch(new float[2 * 105], new float[10]));
        Assert.Equal("logits", error.ParamName);
        Assert.Contains("2 x 10 = 20", error.Message);
    }

    [Fact]
    public void Gpu_backend_is_not_supported()
    {
        Assert.Throws<NotSupportedException>(() =>
            InferenceEngine.Create(Backend.Gpu, Network.Layout, ModelWeights.FromArray(Network.Blob)));
    }

    [Fact]
    public void A_layer_before_BeginBatch_is_refused()
    {
        using InferenceEngine engine = CreateEngine();
        var error = Assert.Throws<InvalidOperationException>(() => engine.Conv3x3BiasRelu(Network.Layout.Layers[0]));
        Assert.Contains("BeginBatch", error.Message);
    }

    [Fact]
    public void A_layer_whose_input_is_not_the_current_activation_is_refused()
    {
        using InferenceEngine engine = CreateEngine();
        engine.BeginBatch(new float[105], new float[10]);
        var error = Assert.Throws<InvalidOperationException>(() => engine.Conv3x3BiasRelu(Network.Layout.Layers[1]));
        Assert.Contains("N x 16 x 4 x 3", error.Message);
        Assert.Contains("1 x 3 x 7 x 5", error.Message);
    }

    [Fact]
    public void A_head_whose_features_are_not_the_current_channels_is_refused()
    {
        using InferenceEngine engine = CreateEngine();
        var logits = new float[10];
        engine.BeginBatch(new float[105], logits);
        engine.Conv3x3BiasRelu(Network.Layout.Layers[0]);
        var error = Assert.Throws<InvalidOperationException>(() => engine.GlobalAveragePoolLinear(Network.Layout.Head, logits));
        Assert.Contains("48 features", error.Message);
    }

    [Fact]
    public void A_layer_with_weights_outside_the_blob_is_refused()
    {
        using InferenceEngine engine = CreateEngine();
        engine.BeginBatch(new float[105], new float[10]);
        Conv3x3Layer layer = Network.Layout.Layers[0] with { WeightOffset = Network.Blob.Length - 100 };
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.Conv3x3BiasRelu(layer));
    }

    [Fact]
    public void A_stride_other_than_1_or_2_is_refused()
    {
        using InferenceEngine engine = CreateEngine();
        engine.BeginBatch(new float[105], new float[10]);
        Conv3x3Layer layer = Network.Layout.Layers[0] with { Stride = 3 };
        var error = Assert.Throws<ArgumentException>(() => engine.Conv3x3BiasRelu(layer));
        Assert.Contains("stride 3", error.Message);
    }
}
