using RepVgg.Gpu;
using RepVgg.Gpu.Kernels;
using RepVgg.Compiler.Reference;
using RepVgg.Testing.Models;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// <see cref="TensorCoreConvCases.EngineShapes"/> (the engine's kernels) in TF32, on its own CPU accelerator: each class compiles
/// only its own kernels, and disposes of them before the next class runs, which keeps the test host's memory bounded.
/// </summary>
public sealed class Tf32ConvTests(TestAccelerator device) : IClassFixture<TestAccelerator>
{
    [Theory]
    [MemberData(nameof(TensorCoreConvCases.EngineShapes), MemberType = typeof(TensorCoreConvCases))]
    public void Layer_is_within_the_stated_bound_of_the_float64_convolution(int inChannels, int outChannels, int groups, int stride, int height, int width,
        int batch, string tileSize, bool asyncCopies) =>
        TensorCoreConvCases.Check(device.Cpu, Precision.Tf32, inChannels, outChannels, groups, stride, height, width, batch, tileSize, asyncCopies);
}

/// <summary>
/// <see cref="TensorCoreConvCases.CandidateShapes"/> (the kernels only the GPU check selects) in TF32, on its own CPU accelerator: each class compiles
/// only its own kernels, and disposes of them before the next class runs, which keeps the test host's memory bounded.
/// </summary>
public sealed class Tf32CandidateConvTests(TestAccelerator device) : IClassFixture<TestAccelerator>
{
    [Theory]
    [MemberData(nameof(TensorCoreConvCases.CandidateShapes), MemberType = typeof(TensorCoreConvCases))]
    public void Layer_is_within_the_stated_bound_of_the_float64_convolution(int inChannels, int outChannels, int groups, int stride, int height, int width,
        int batch, string tileSize, bool asyncCopies) =>
        TensorCoreConvCases.Check(device.Cpu, Precision.Tf32, inChannels, outChannels, groups, stride, height, width, batch, tileSize, asyncCopies);
}

/// <summary>
/// <see cref="TensorCoreConvCases.EngineShapes"/> (the engine's kernels) in FP16, on its own CPU accelerator: each class compiles
/// only its own kernels, and disposes of them before the next class runs, which keeps the test host's memory bounded.
/// </summary>
public sealed class Fp16ConvTests(TestAccelerator device) : IClassFixture<TestAccelerator>
{
    [Theory]
    [MemberData(nameof(TensorCoreConvCases.EngineShapes), MemberType = typeof(TensorCoreConvCases))]
    public void Layer_is_within_the_stated_bound_of_the_float64_convolution(int inChannels, int outChannels, int groups, int stride, int height, int width,
        int batch, string tileSize, bool asyncCopies) =>
        TensorCoreConvCases.Check(device.Cpu, Precision.Fp16, inChannels, outChannels, groups, stride, height, width, batch, tileSize, asyncCopies);
}

/// <summary>
/// <see cref="TensorCoreConvCases.CandidateShapes"/> (the kernels only the GPU check selects) in FP16, on its own CPU accelerator: each class compiles
/// only its own kernels, and disposes of them before the next class runs, which keeps the test host's memory bounded.
/// </summary>
public sealed class Fp16CandidateConvTests(TestAccelerator device) : IClassFixture<TestAccelerator>
{
    [Theory]
    [MemberData(nameof(TensorCoreConvCases.CandidateShapes), MemberType = typeof(TensorCoreConvCases))]
    public void Layer_is_within_the_stated_bound_of_the_float64_convolution(int inChannels, int outChannels, int groups, int stride, int height, int width,
        int batch, string tileSize, bool asyncCopies) =>
        TensorCoreConvCases.Check(device.Cpu, Precision.Fp16, inChannels, outChannels, groups, stride, height, width, batch, tileSize, asyncCopies);
}

/// <summary>
/// One layer through the engine in TF32 or FP16 (the tensor-core kernel, its mma emulated on the CPU accelerator)
/// against the float64 convolution of the same float32 inputs and weights, within the bound <see cref="Precision"/>
/// states for each output (<see cref="TensorCoreBound"/>; the GPU check holds a GPU to it too).
/// </summary>
public static class TensorCoreConvCases
{
    private static readonly (int In, int Out, int Groups, int Stride, int Height, int Width, int Batch)[] Layers =
    [
        (5, 17, 1, 1, 7, 5, 1),     // K = 45: a partial step (and an odd K for FP16's pairs)
        (17, 33, 1, 2, 7, 5, 3),    // stride 2, batch 3: the pixel tile spans images
        (20, 68, 4, 2, 9, 7, 3),    // groups 4, stride 2
        (16, 72, 1, 1, 11, 9, 1),   // two small channel tiles, the second nearly empty
        (40, 24, 1, 1, 12, 13, 2),  // K = 360: several steps, several small pixel tiles
        (33, 5, 1, 1, 1, 1, 3),     // 1 x 1 image: all taps but the centre are padding
        (12, 136, 1, 1, 13, 11, 1), // 136 channels and 143 pixels: past one large tile both ways
        (32, 48, 2, 2, 9, 7, 3),    // groups 2, stride 2, batch 3, channels read as vectors in both formats
        (24, 136, 1, 1, 13, 11, 1), // past one large tile both ways, channels read as vectors in both formats
    ];

    /// <summary>
    /// The engine's kernels on every layer: small and large tiles, staged through registers. The tile size by its name:
    /// the enum is the GPU backend's own, and theory data must be public.
    /// </summary>
    public static TheoryData<int, int, int, int, int, int, int, string, bool> EngineShapes()
    {
        var data = new TheoryData<int, int, int, int, int, int, int, string, bool>();
        foreach (var layer in Layers)
            foreach (GemmTileSize tiles in new[] { GemmTileSize.Small, GemmTileSize.Large })
                data.Add(layer.In, layer.Out, layer.Groups, layer.Stride, layer.Height, layer.Width, layer.Batch, tiles.ToString(), false);
        return data;
    }

    /// <summary>
    /// The kernels only the GPU check selects (asynchronous copies with either tile size, the large tiles as 4 wide warps
    /// staged either way) on the two layers that prove them: groups with stride 2 over a batch of 3, and past one large
    /// tile both ways, each with its channels read as vectors in both formats, which the asynchronous copies need.
    /// </summary>
    public static TheoryData<int, int, int, int, int, int, int, string, bool> CandidateShapes()
    {
        var data = new TheoryData<int, int, int, int, int, int, int, string, bool>();
        foreach (var layer in Layers[^2..])
        {
            foreach (GemmTileSize tiles in new[] { GemmTileSize.Small, GemmTileSize.Large, GemmTileSize.LargeWideWarps })
                data.Add(layer.In, layer.Out, layer.Groups, layer.Stride, layer.Height, layer.Width, layer.Batch, tiles.ToString(), true);
            data.Add(layer.In, layer.Out, layer.Groups, layer.Stride, layer.Height, layer.Width, layer.Batch, nameof(GemmTileSize.LargeWideWarps), false);
        }
        return data;
    }

    /// <summary>How the engine names the tensor-core kernel of <paramref name="tiles"/> (the GPU check's tables show it).</summary>
    private static string TileName(GemmTileSize tiles) => tiles switch
    {
        GemmTileSize.Small => "64 x 64 tiles",
        GemmTileSize.Large => "128 x 128 tiles",
        _ => "128 x 128 tiles, 4 warps of 64 x 64",
    };

    /// <summary>
    /// Groups of a multiple of a 16-byte line's channels (4 float32 in TF32, 8 halves in FP16) read them as vectors from
    /// the channels-last input, others one by one (always through registers).
    /// </summary>
    private static bool VectorReads(Precision precision, int channelsPerGroup) => channelsPerGroup % (precision == Precision.Tf32 ? 4 : 8) == 0;

    public static void Check(ILGPU.Runtime.Accelerator accelerator, Precision precision,
        int inChannels, int outChannels, int groups, int stride, int height, int width, int batch, string tileSize, bool asyncCopies)
    {
        GemmTileSize tiles = Enum.Parse<GemmTileSize>(tileSize);
        var (layout, weights, oihw, bias) = CompiledModels.SingleLayer(inChannels, outChannels, groups, stride, height, width, ConvAlgorithm.Direct, seed: 3);
        float[] images = CompiledModels.RandomFloats(batch * inChannels * height * width, seed: 5);
        var (kernel, actual) = RunLayer(accelerator, layout, weights, precision, images, batch, tiles, asyncCopies ? TensorCoreStaging.AsyncCopies : TensorCoreStaging.Registers);
        string reads = !VectorReads(precision, inChannels / groups) ? "scalar reads, " : asyncCopies ? "async copies, " : "";
        Assert.Equal($"implicit-gemm-mma, {reads}{TileName(tiles)}", kernel);

        double[] exact = Conv3x3Reference.Run(images, batch, inChannels, height, width, oihw, bias, outChannels, groups, stride);
        double[] bounds = TensorCoreBound.PerOutput(precision, Activation.FromFloats(images, batch, inChannels, height, width), oihw, bias, outChannels, groups, stride);

        int reduction = inChannels / groups * 9;
        double relative = TensorCoreBound.RelativeFactor(reduction);
        double largestError = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double error = Math.Abs(actual[i] - exact[i]);
            Assert.True(error <= bounds[i], $"{precision}, {TileName(tiles)}, {(asyncCopies ? "async copies" : "registers")}, output {i}: expected {exact[i]} within {bounds[i]:E3}, found {actual[i]} (off by {error:E3}).");
            // Error over Σ|w x| + |b| (at most: bound / relative is that, or more in FP16).
            largestError = Math.Max(largestError, error * relative / bounds[i]);
        }
        // The kernel really rounds: somewhere it is off by more than float32 arithmetic on K products ever is.
        Assert.True(largestError > reduction * Math.ScaleB(1, -24),
            $"{precision}: the largest error is {largestError:E2} of Σ|w x|, within float32's; the inputs were not rounded to {precision}.");
    }

    /// <summary>
    /// The single layer of <paramref name="layout"/> on <paramref name="images"/>, through an engine in
    /// <paramref name="precision"/> on the CPU accelerator with the tiles and staging given: the kernel the engine names
    /// for it, and its output (NCHW, as <see cref="InferenceEngine.CopyActivation"/> hands it out).
    /// </summary>
    private static (string Kernel, float[] Output) RunLayer(ILGPU.Runtime.Accelerator accelerator, NetworkLayout layout, ModelWeights weights, Precision precision, float[] images, int batch,
        GemmTileSize tiles, TensorCoreStaging staging)
    {
        Conv3x3Layer layer = layout.Layers[0];
        using GpuInferenceEngine engine = TestEngines.Create(accelerator, layout, weights, precision, new(tiles, Staging: staging));
        Assert.Equal(precision, engine.Precision);
        engine.BeginBatch(images, new float[batch * layout.Head.Classes]);
        engine.Conv3x3BiasRelu(layer);
        var output = new float[batch * layer.OutChannels * layer.OutHeight * layer.OutWidth];
        engine.CopyActivation(output);
        return (engine.DescribeKernel(layer, batch), output);
    }
}
