using RepVgg.Compiler.Architecture;
using RepVgg.Gpu;
using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.Weights;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>The engine's contract beyond the numbers: what it reports, its buffers, disposal, the shared weights, CUDA discovery.</summary>
public class GpuInferenceEngineTests(TestAccelerator device) : IClassFixture<TestAccelerator>
{
    private static readonly BlockShape[] Shapes = [new(0, 0, 3, 8, 2, 1), new(1, 0, 8, 12, 1, 1)];

    private static (NetworkLayout Layout, ModelWeights Weights) SmallNetwork() =>
        CompiledModels.Compile(Shapes, classes: 4, 9, 7, seed: 31, (_, _, _) => ConvAlgorithm.Direct) is var (_, layout, weights) ? (layout, weights) : default;

    private static float[] Infer(InferenceEngine engine, NetworkLayout layout, int batch, ulong seed)
    {
        float[] images = CompiledModels.RandomFloats(batch * layout.ImageLength, seed);
        var logits = new float[batch * layout.Head.Classes];
        engine.BeginBatch(images, logits);
        foreach (Conv3x3Layer layer in layout.Layers) engine.Conv3x3BiasRelu(layer);
        engine.GlobalAveragePoolLinear(layout.Head, logits);
        return logits;
    }

    [Fact]
    public void TryCreateCuda_without_a_CUDA_device_gives_a_reason_and_no_engine()
    {
        // This machine and CI have no NVIDIA GPU; where one is present the test says so rather than pass vacuously.
        var (layout, weights) = SmallNetwork();

        string? unavailable = GpuEngines.TryCreateCuda(layout, weights, Precision.Fp32, out InferenceEngine? engine);

        using (engine)
            Assert.True(unavailable is not null && engine is null, $"Expected no CUDA device here; found {engine?.DeviceName}.");
        Assert.Contains("CUDA", unavailable);
    }

    [Fact]
    public void Runtime_finds_this_assembly_and_reports_why_there_is_no_GPU()
    {
        // InferenceEngine.Create looks GpuEngines.TryCreateCuda up by name: this checks the name and signature it expects.
        var (layout, weights) = SmallNetwork();

        var error = Assert.Throws<NotSupportedException>(() => InferenceEngine.Create(Backend.Gpu, layout, weights));
        Assert.Contains("CUDA", error.Message);
        Assert.DoesNotContain("not part of this app", error.Message);
        using InferenceEngine auto = InferenceEngine.Create(Backend.Auto, layout, weights);
        Assert.Equal(Backend.Cpu, auto.Backend);
    }

    [Fact]
    public void Without_a_CUDA_device_a_reduced_precision_on_Gpu_says_why_and_on_Auto_is_the_CPU_in_Fp32()
    {
        // This machine and CI have no NVIDIA GPU: the precision reaches TryCreateCuda, which finds no device for it.
        var (layout, weights) = SmallNetwork();

        var error = Assert.Throws<NotSupportedException>(() => InferenceEngine.Create(Backend.Gpu, layout, weights, Precision.Fp16));
        Assert.StartsWith("Backend.Gpu is not available: ", error.Message);
        Assert.Contains("CUDA", error.Message);
        // The CPU alone cannot run Fp16, so the advice is Auto or the CPU in Fp32.
        Assert.EndsWith("Use Backend.Auto to fall back to the CPU in float32, or Backend.Cpu with Precision.Fp32.", error.Message);
        using InferenceEngine auto = InferenceEngine.Create(Backend.Auto, layout, weights, Precision.Tf32);
        Assert.Equal((Backend.Cpu, Precision.Fp32), (auto.Backend, auto.Precision));
    }

    [Fact]
    public void Engine_reports_the_GPU_backend_and_the_accelerators_name()
    {
        var (layout, weights) = SmallNetwork();
        using GpuInferenceEngine engine = GpuEngines.Create(device.Cpu, layout, weights);

        Assert.Equal(Backend.Gpu, engine.Backend);
        Assert.Equal(device.Cpu.Name, engine.DeviceName);
        Assert.Equal("CPUAccelerator", engine.DeviceName);
    }

    [Fact]
    public void Engine_names_the_kernel_and_tiles_each_layer_runs()
    {
        // A stem, a stride-1 layer planned for Winograd F(2x2) and a direct one.
        BlockShape[] shapes = [new(0, 0, 3, 8, 2, 1), new(1, 0, 8, 8, 1, 1), new(1, 1, 8, 16, 2, 1)];
        var (_, layout, weights) = CompiledModels.Compile(shapes, classes: 4, 16, 16, seed: 5,
            (block, _, _) => block.Stride == 1 ? ConvAlgorithm.Winograd2x2 : ConvAlgorithm.Direct);
        Assert.Equal([ConvAlgorithm.Direct, ConvAlgorithm.Winograd2x2, ConvAlgorithm.Direct], layout.Layers.Select(layer => layer.Algorithm));
        string[] Describe(GpuInferenceEngine engine) => layout.Layers.Select(layer => engine.DescribeKernel(layer, batch: 2)).ToArray();

        using (GpuInferenceEngine small = TestEngines.Create(device.Cpu, layout, weights, Precision.Fp32, new(GemmTileSize.Small)))
            Assert.Equal(Expected("64 x 64 tiles"), Describe(small));
        using (GpuInferenceEngine large = TestEngines.Create(device.Cpu, layout, weights, Precision.Fp32, new(GemmTileSize.Large)))
            Assert.Equal(Expected("128 x 128 tiles"), Describe(large));
        // In a reduced precision Winograd layers run the tensor-core implicit GEMM too.
        using (GpuInferenceEngine tf32 = TestEngines.Create(device.Cpu, layout, weights, Precision.Tf32, new(GemmTileSize.Large)))
            Assert.Equal(layout.Layers.Select(layer => layer.InChannels == 3 ? "stem-direct" : "implicit-gemm-mma, 128 x 128 tiles"), Describe(tf32));

        string[] Expected(string tiles) => layout.Layers.Select(layer => layer.InChannels == 3 ? "stem-direct"
            : layer.Algorithm == ConvAlgorithm.Winograd2x2 ? $"Winograd2x2, {tiles}" : $"implicit-gemm, {tiles}").ToArray();
    }

    [Fact]
    public void A_larger_batch_grows_the_buffers_and_every_image_gets_the_logits_it_gets_alone()
    {
        var (layout, weights) = SmallNetwork();
        using GpuInferenceEngine engine = GpuEngines.Create(device.Cpu, layout, weights);
        float[] first = Infer(engine, layout, batch: 1, seed: 40);

        float[] batch = Infer(engine, layout, batch: 3, seed: 40);

        // The first image of the batch is the same image (same seed, same first floats).
        NumericAssert.Close(first, batch[..layout.Head.Classes], [1, layout.Head.Classes], "image 0 alone and in a batch of 3");
        float[] again = Infer(engine, layout, batch: 1, seed: 40);
        Assert.Equal(first, again);
        // Per image: two activation buffers of the largest activation (the last layer's 12 x 5 x 4; the input is 3 x 9 x 7),
        // pooled features, logits.
        Assert.Equal(3L * (2 * 12 * 5 * 4 + 12 + 4) * sizeof(float), engine.BufferBytes(3));
    }

    [Fact]
    public void MaxBatch_keeps_the_activation_buffers_int_indexable()
    {
        var (layout, weights) = SmallNetwork();
        using GpuInferenceEngine engine = GpuEngines.Create(device.Cpu, layout, weights);

        // The CPU accelerator reports unbounded memory, so the kernels' int indices are the bound.
        Assert.Equal(int.MaxValue / (12 * 5 * 4), engine.MaxBatch);
    }

    [Fact]
    public void CopyActivation_gives_the_last_layers_NCHW_shape_and_refuses_another_length()
    {
        var (layout, weights) = SmallNetwork();
        using GpuInferenceEngine engine = GpuEngines.Create(device.Cpu, layout, weights);
        float[] images = CompiledModels.RandomFloats(2 * layout.ImageLength, seed: 41);
        engine.BeginBatch(images, new float[2 * layout.Head.Classes]);

        var input = new float[images.Length];
        engine.CopyActivation(input);
        Assert.Equal(images, input);

        engine.Conv3x3BiasRelu(layout.Layers[0]);
        var stem = new float[2 * 8 * 5 * 4];
        engine.CopyActivation(stem);
        Assert.Contains(stem, value => value > 0);
        var error = Assert.Throws<ArgumentException>(() => engine.CopyActivation(new float[stem.Length + 1]));
        Assert.Contains("2 x 8 x 5 x 4", error.Message);
    }

    [Fact]
    public void Layer_out_of_order_is_refused_with_the_shapes()
    {
        var (layout, weights) = SmallNetwork();
        using GpuInferenceEngine engine = GpuEngines.Create(device.Cpu, layout, weights);
        engine.BeginBatch(CompiledModels.RandomFloats(layout.ImageLength, seed: 42), new float[layout.Head.Classes]);

        var error = Assert.Throws<InvalidOperationException>(() => engine.Conv3x3BiasRelu(layout.Layers[1]));
        Assert.Contains("8 x 5 x 4", error.Message);
    }

    [Fact]
    public void Every_call_after_Dispose_throws_ObjectDisposedException()
    {
        var (layout, weights) = SmallNetwork();
        GpuInferenceEngine engine = GpuEngines.Create(device.Cpu, layout, weights);
        float[] images = CompiledModels.RandomFloats(layout.ImageLength, seed: 43);
        var logits = new float[layout.Head.Classes];
        engine.BeginBatch(images, logits);
        engine.Dispose();
        engine.Dispose();

        Assert.Throws<ObjectDisposedException>(() => engine.BeginBatch(images, logits));
        Assert.Throws<ObjectDisposedException>(() => engine.Conv3x3BiasRelu(layout.Layers[0]));
        Assert.Throws<ObjectDisposedException>(() => engine.GlobalAveragePoolLinear(layout.Head, logits));
        Assert.Throws<ObjectDisposedException>(() => engine.CopyActivation(new float[images.Length]));
        Assert.Throws<ObjectDisposedException>(engine.Synchronize);
    }

    [Fact]
    public void Engines_on_the_same_weights_share_one_upload_freed_after_the_last()
    {
        var (layout, weights) = SmallNetwork();
        // Another input size of the same model: other layer shapes, the same device weights.
        NetworkLayout larger = layout with
        {
            InputHeight = 13,
            InputWidth = 11,
            Layers = [layout.Layers[0] with { InHeight = 13, InWidth = 11 }, layout.Layers[1] with { InHeight = 7, InWidth = 6 }],
        };

        GpuInferenceEngine first = GpuEngines.Create(device.Cpu, layout, weights);
        GpuInferenceEngine second = GpuEngines.Create(device.Cpu, larger, weights);
        Assert.True(DeviceWeights.IsUploaded(device.Cpu, weights));
        float[] expected = Infer(first, layout, batch: 1, seed: 44);

        first.Dispose();
        Assert.True(DeviceWeights.IsUploaded(device.Cpu, weights));
        Infer(second, larger, batch: 1, seed: 45);
        second.Dispose();
        Assert.False(DeviceWeights.IsUploaded(device.Cpu, weights));

        // A new engine uploads them again and computes the same logits.
        using GpuInferenceEngine third = GpuEngines.Create(device.Cpu, layout, weights);
        Assert.Equal(expected, Infer(third, layout, batch: 1, seed: 44));
    }

    [Theory]
    [InlineData(65519f, true)]  // rounds to 65504, half's largest value
    [InlineData(65520f, false)] // rounds to infinity
    [InlineData(-1e6f, false)]
    public void Fp16_refuses_a_layer_whose_weight_half_precision_cannot_hold(float weight, bool holds)
    {
        var (layout, weights) = SmallNetwork();
        Conv3x3Layer layer = layout.Layers[1]; // the tensor-core layer (the stem runs in float32)
        float[] blob = weights.Slice(0, checked((int)weights.Length)).ToArray();
        blob[layer.WeightOffset + 5] = weight;
        ModelWeights changed = ModelWeights.FromArray(blob, weights.Layout);
        Assert.Contains(weight, PackedWeightsReader.ReadOihw(layer, changed));

        if (holds)
        {
            using GpuInferenceEngine engine = GpuEngines.Create(device.Cpu, layout, changed, Precision.Fp16);
            return;
        }
        var error = Assert.Throws<ArgumentException>(() => GpuEngines.Create(device.Cpu, layout, changed, Precision.Fp16));
        Assert.Contains($"Layer {layer.Name}:", error.Message);
        Assert.Contains(weight.ToString("G9", System.Globalization.CultureInfo.InvariantCulture), error.Message);
        Assert.Contains("65504", error.Message);
        Assert.False(DeviceWeights.IsUploaded(device.Cpu, changed));
        // TF32 holds it.
        using GpuInferenceEngine tf32 = GpuEngines.Create(device.Cpu, layout, changed, Precision.Tf32);
    }
}
