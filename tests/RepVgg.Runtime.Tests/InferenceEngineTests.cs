using RepVgg.Cpu;

namespace RepVgg.Runtime.Tests;

/// <summary>What the engine refuses, and how it says so.</summary>
public class InferenceEngineTests
{
    // 3 x 7 x 5 in, 16 x 4 x 3 after the stride-2 layer, 48 x 4 x 3 after the second, 10 classes.
    private static readonly TestNetwork Network = TestNetwork.Create(3, 3, 7, 5, [new(16, 1, 2), new(48, 1, 1)], classes: 10);

    // 1 x 1 x 1 in, 1,600,000 x 1 x 1 out: 100,000 channel blocks of 3 x 3 x 16 floats, so 14,400,000 floats an
    // image, and (Array.MaxLength - 15) / 14,400,000 = 149 images fit an array. Its weights are never read.
    private static readonly NetworkLayout Wide = new(1, 1, 1,
        [new Conv3x3Layer("wide", 1, 1_600_000, 1, 1, 1, 1, WeightOffset: 0, BiasOffset: 0)],
        new LinearHead(1_600_000, 1, WeightOffset: 0, BiasOffset: 0));

    private static CpuInferenceEngine CreateEngine(NetworkLayout? layout = null, float[]? blob = null) =>
        (CpuInferenceEngine)InferenceEngine.Create(Backend.Cpu, layout ?? Network.Layout, ModelWeights.FromArray(blob ?? Network.Blob, WeightsLayout.Prepacked));

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
    public void BeginBatch_rejects_a_batch_too_large_for_an_array_before_allocating()
    {
        using CpuInferenceEngine engine = CreateEngine(Wide);
        Assert.Equal(149, engine.MaxBatch);
        var error = Assert.Throws<ArgumentException>(() => engine.BeginBatch(new float[150], new float[150]));
        Assert.Equal("images", error.ParamName);
        Assert.Contains("batch of 150", error.Message);
        Assert.Contains("at most 149", error.Message);
        Assert.Equal(0, engine.ActivationCapacity);
    }

    [Fact]
    public void MaxBatch_of_RepVGG_A0_at_224_x_224_is_set_by_its_input()
    {
        // The input, 3 x 224 x 224 stored as 226 x 226 x 16 = 817,216 floats, is A0's largest activation
        // (stage 0's output, 48 x 112 x 112, is 3 x 114 x 114 x 16 = 623,808), and 2,627 of them fit an array.
        var a0 = new NetworkLayout(3, 224, 224,
            [new Conv3x3Layer("stage0.0", 3, 48, 1, 2, 224, 224, WeightOffset: 0, BiasOffset: 0)],
            new LinearHead(48, 1000, WeightOffset: 0, BiasOffset: 0));
        using CpuInferenceEngine engine = CreateEngine(a0);
        Assert.Equal(2627, engine.MaxBatch);
    }

    [Fact]
    public void Infer_allocates_nothing_after_the_first_call()
    {
        // Direct and both Winograd algorithms, a batch of 2, every thread of the pool.
        var network = TestNetwork.Create(4, 3, 30, 29,
            [new(16, 1, 2), new(32, 1, 1, ConvAlgorithm.Winograd4x4), new(32, 2, 1, ConvAlgorithm.Winograd2x2), new(48, 1, 2)], classes: 100);
        using CpuInferenceEngine engine = CreateEngine(network.Layout, network.Blob);
        float[] images = network.Images(2, seed: 1);
        var logits = new float[2 * 100];
        Infer(engine, network.Layout, images, logits);

        AllocationAssert.NothingPerCall(() =>
        {
            for (int i = 0; i < 5; i++) Infer(engine, network.Layout, images, logits);
        });
        // What it holds is within what it says it needs (the memory report's budget).
        Assert.InRange(engine.ActivationCapacity * sizeof(float), 1, engine.BufferBytes(2));
    }

    [Fact]
    public void Engines_on_many_threads_at_once_give_the_single_threaded_logits()
    {
        // The worker pool serves one caller at a time; the others run their layers on their own threads.
        var network = TestNetwork.Create(6, 3, 30, 29,
            [new(16, 1, 2), new(32, 1, 1, ConvAlgorithm.Winograd4x4), new(32, 1, 1, ConvAlgorithm.Winograd2x2), new(48, 1, 2)], classes: 10);
        float[] images = network.Images(2, seed: 3);
        float[] expected = Logits(network, images);

        var results = new float[8][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = results.Length }, i =>
        {
            float[] logits = [];
            for (int run = 0; run < 10; run++) logits = Logits(network, images);
            results[i] = logits;
        });
        Assert.All(results, logits => Assert.Equal(expected, logits));
    }

    private static float[] Logits(TestNetwork network, float[] images)
    {
        using CpuInferenceEngine engine = CreateEngine(network.Layout, network.Blob);
        var logits = new float[images.Length / network.Layout.ImageLength * network.Layout.Head.Classes];
        Infer(engine, network.Layout, images, logits);
        return logits;
    }

    /// <summary>
    /// One inference as generated code runs it: one call per layer (a foreach over the list would
    /// allocate its enumerator, which the allocation test would count).
    /// </summary>
    private static void Infer(InferenceEngine engine, NetworkLayout layout, float[] images, float[] logits)
    {
        engine.BeginBatch(images, logits);
        for (int i = 0; i < layout.Layers.Count; i++) engine.Conv3x3BiasRelu(layout.Layers[i]);
        engine.GlobalAveragePoolLinear(layout.Head, logits);
    }

    [Fact]
    public void Dispose_releases_the_activation_buffers_and_may_be_repeated()
    {
        CpuInferenceEngine engine = CreateEngine();
        engine.BeginBatch(new float[2 * 105], new float[20]);
        Assert.True(engine.ActivationCapacity > 0);

        engine.Dispose();
        Assert.Equal(0, engine.ActivationCapacity);
        engine.Dispose();
    }

    [Fact]
    public void Every_call_after_Dispose_throws_ObjectDisposedException()
    {
        CpuInferenceEngine engine = CreateEngine();
        var logits = new float[10];
        engine.BeginBatch(new float[105], logits);
        engine.Dispose();

        Assert.Throws<ObjectDisposedException>(() => engine.BeginBatch(new float[105], logits));
        Assert.Throws<ObjectDisposedException>(() => engine.Conv3x3BiasRelu(Network.Layout.Layers[0]));
        Assert.Throws<ObjectDisposedException>(() => engine.GlobalAveragePoolLinear(Network.Layout.Head, logits));
    }

    [Fact]
    public void Without_the_GPU_assembly_Gpu_says_so_and_Auto_is_the_CPU()
    {
        // This test project does not reference RepVgg.Runtime.Gpu, as a trimmed app that never asks for the GPU would not.
        var error = Assert.Throws<NotSupportedException>(() =>
            InferenceEngine.Create(Backend.Gpu, Network.Layout, ModelWeights.FromArray(Network.Blob, WeightsLayout.Prepacked)));
        Assert.Contains("the RepVgg.Runtime.Gpu assembly is not part of this app", error.Message);

        using InferenceEngine auto = InferenceEngine.Create(Backend.Auto, Network.Layout, ModelWeights.FromArray(Network.Blob, WeightsLayout.Prepacked));
        Assert.Equal(Backend.Cpu, auto.Backend);
    }

    [Theory]
    [InlineData(Precision.Tf32)]
    [InlineData(Precision.Fp16)]
    public void Cpu_with_a_reduced_precision_is_refused_naming_the_precision_and_what_to_use(Precision precision)
    {
        var error = Assert.Throws<NotSupportedException>(() =>
            InferenceEngine.Create(Backend.Cpu, Network.Layout, ModelWeights.FromArray(Network.Blob, WeightsLayout.Prepacked), precision));

        Assert.StartsWith($"Precision.{precision} runs on a GPU's tensor cores; the CPU backend computes in float32.", error.Message);
        Assert.Contains("Backend.Gpu", error.Message);
        Assert.Contains("Backend.Auto", error.Message);
        Assert.Contains("Precision.Fp32", error.Message);
    }

    [Fact]
    public void Cpu_in_Fp32_and_Auto_in_a_reduced_precision_without_a_GPU_are_CPU_engines_in_Fp32()
    {
        using InferenceEngine cpu = InferenceEngine.Create(Backend.Cpu, Network.Layout, ModelWeights.FromArray(Network.Blob, WeightsLayout.Prepacked), Precision.Fp32);
        using InferenceEngine auto = InferenceEngine.Create(Backend.Auto, Network.Layout, ModelWeights.FromArray(Network.Blob, WeightsLayout.Prepacked), Precision.Tf32);

        Assert.Equal((Backend.Cpu, Precision.Fp32), (cpu.Backend, cpu.Precision));
        // Auto falls back to the CPU, which computes in float32, and the engine says so rather than echo the request.
        Assert.Equal((Backend.Cpu, Precision.Fp32), (auto.Backend, auto.Precision));
    }

    [Theory]
    [InlineData(Backend.Cpu)]
    [InlineData(Backend.Auto)]
    [InlineData(Backend.Gpu)]
    public void An_undefined_precision_is_out_of_range(Backend backend)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            InferenceEngine.Create(backend, Network.Layout, ModelWeights.FromArray(Network.Blob, WeightsLayout.Prepacked), (Precision)3));

        Assert.Equal("precision", error.ParamName);
        Assert.Equal((Precision)3, error.ActualValue);
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
