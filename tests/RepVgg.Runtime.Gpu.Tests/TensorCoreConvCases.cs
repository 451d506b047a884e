using ILGPU.Runtime;
using RepVgg.Gpu;
using RepVgg.Gpu.Kernels;
using RepVgg.Compiler.Reference;
using RepVgg.Testing.Models;

namespace RepVgg.Runtime.Gpu.Tests;

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
    /// The engine's kernels on every layer: small and large tiles. The tile size by its name: the enum is the GPU
    /// backend's own, and theory data must be public.
    /// </summary>
    public static TheoryData<int, int, int, int, int, int, int, string> EngineShapes()
    {
        var data = new TheoryData<int, int, int, int, int, int, int, string>();
        foreach (var layer in Layers)
            foreach (GemmTileSize tiles in new[] { GemmTileSize.Small, GemmTileSize.Large })
                data.Add(layer.In, layer.Out, layer.Groups, layer.Stride, layer.Height, layer.Width, layer.Batch, tiles.ToString());
        return data;
    }

    /// <summary>
    /// The two layers that prove a candidate kernel (tools/gpu-check's, for layers that read their channels as vectors):
    /// groups with stride 2 over a batch of 3, and past one large tile both ways, each with its channels read as vectors
    /// in both formats; with small and large tiles.
    /// </summary>
    public static TheoryData<int, int, int, int, int, int, int, string> CandidateShapes()
    {
        var data = new TheoryData<int, int, int, int, int, int, int, string>();
        foreach (var layer in Layers[^2..])
            foreach (GemmTileSize tiles in new[] { GemmTileSize.Small, GemmTileSize.Large })
                data.Add(layer.In, layer.Out, layer.Groups, layer.Stride, layer.Height, layer.Width, layer.Batch, tiles.ToString());
        return data;
    }

    /// <summary>How the engine names the tensor-core kernel of <paramref name="tiles"/> (the GPU check's tables show it).</summary>
    private static string TileName(GemmTileSize tiles) => tiles == GemmTileSize.Small ? "64 x 64 tiles" : "128 x 128 tiles";

    /// <summary>
    /// Groups of a multiple of a 16-byte line's channels (4 float32 in TF32, 8 halves in FP16) read them as vectors from
    /// the channels-last input, others one by one (always through registers).
    /// </summary>
    private static bool VectorReads(Precision precision, int channelsPerGroup) => channelsPerGroup % (precision == Precision.Tf32 ? 4 : 8) == 0;

    /// <summary>
    /// The layer through the engine's kernel, or through <paramref name="candidate"/> (a kernel from outside the product)
    /// where the layer reads its channels as vectors.
    /// </summary>
    internal static void Check(Accelerator accelerator, Precision precision,
        int inChannels, int outChannels, int groups, int stride, int height, int width, int batch, string tileSize, ITensorCoreGemmSource? candidate = null)
    {
        GemmTileSize tiles = Enum.Parse<GemmTileSize>(tileSize);
        var (layout, weights, oihw, bias) = CompiledModels.SingleLayer(inChannels, outChannels, groups, stride, height, width, ConvAlgorithm.Direct, seed: 3);
        float[] images = CompiledModels.RandomFloats(batch * inChannels * height * width, seed: 5);
        var (kernel, actual) = RunLayer(accelerator, layout, weights, precision, images, batch, new KernelOverrides(tiles, VectorReadsGemm: candidate));
        string reads = !VectorReads(precision, inChannels / groups) ? "scalar reads, " : candidate is not null ? $"{candidate.Name}, " : "";
        Assert.Equal($"implicit-gemm-mma, {reads}{TileName(tiles)}", kernel);

        double[] exact = Conv3x3Reference.Run(images, batch, inChannels, height, width, oihw, bias, outChannels, groups, stride);
        double[] bounds = TensorCoreBound.PerOutput(precision, Activation.FromFloats(images, batch, inChannels, height, width), oihw, bias, outChannels, groups, stride);

        int reduction = inChannels / groups * 9;
        double relative = TensorCoreBound.RelativeFactor(reduction);
        double largestError = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double error = Math.Abs(actual[i] - exact[i]);
            Assert.True(error <= bounds[i], $"{precision}, {TileName(tiles)}, {candidate?.Name ?? "the engine's kernel"}, output {i}: expected {exact[i]} within {bounds[i]:E3}, found {actual[i]} (off by {error:E3}).");
            // Error over Σ|w x| + |b| (at most: bound / relative is that, or more in FP16).
            largestError = Math.Max(largestError, error * relative / bounds[i]);
        }
        // The kernel really rounds: somewhere it is off by more than float32 arithmetic on K products ever is.
        Assert.True(largestError > reduction * Math.ScaleB(1, -24),
            $"{precision}: the largest error is {largestError:E2} of Σ|w x|, within float32's; the inputs were not rounded to {precision}.");
    }

    /// <summary>
    /// The single layer of <paramref name="layout"/> on <paramref name="images"/>, through an engine in
    /// <paramref name="precision"/> on the CPU accelerator with the kernels <paramref name="overrides"/> chooses: the kernel the engine names
    /// for it, and its output (NCHW, as <see cref="InferenceEngine.CopyActivation"/> hands it out).
    /// </summary>
    private static (string Kernel, float[] Output) RunLayer(Accelerator accelerator, NetworkLayout layout, ModelWeights weights, Precision precision, float[] images, int batch,
        KernelOverrides overrides)
    {
        Conv3x3Layer layer = layout.Layers[0];
        using GpuInferenceEngine engine = TestEngines.Create(accelerator, layout, weights, precision, overrides);
        Assert.Equal(precision, engine.Precision);
        engine.BeginBatch(images, new float[batch * layout.Head.Classes]);
        engine.Conv3x3BiasRelu(layer);
        var output = new float[batch * layer.OutChannels * layer.OutHeight * layer.OutWidth];
        engine.CopyActivation(output);
        return (engine.DescribeKernel(layer, batch), output);
    }
}
