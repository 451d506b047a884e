using RepVgg.Gpu;
using RepVgg.Gpu.Kernels;
using RepVgg.Compiler.Reference;
using RepVgg.Testing.Models;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// One fused layer through the engine (the GEMM kernel, or the stem kernel for few input channels) against a
/// float64 direct convolution, on shapes that cross every tile edge: channel counts that are not multiples of 128,
/// 64 or 16, odd image sizes, stride 2, groups, batches of 1 and 3.
/// </summary>
public class Conv3x3KernelTests(TestAccelerator device) : IClassFixture<TestAccelerator>
{
    private static readonly (int In, int Out, int Groups, int Stride, int Height, int Width, int Batch)[] Layers =
    [
        (3, 5, 1, 2, 7, 5, 1),     // stem kernel, stride 2, odd size
        (1, 17, 1, 1, 7, 5, 3),    // stem kernel, one input channel
        (3, 33, 1, 1, 9, 6, 3),    // stem kernel, channels past 2 of its 16-channel blocks
        (5, 17, 1, 1, 7, 5, 1),    // GEMM, K = 45: a partial step
        (17, 33, 1, 2, 7, 5, 3),   // GEMM, stride 2, batch 3: the pixel tile spans images
        (34, 34, 2, 1, 5, 7, 1),   // groups 2
        (20, 68, 4, 2, 9, 7, 3),   // groups 4, stride 2
        (16, 72, 1, 1, 11, 9, 1),  // 72 channels: two small channel tiles, the second nearly empty
        (33, 5, 1, 1, 1, 1, 3),    // 1 x 1 image: every tap but the centre is padding
        (12, 136, 1, 1, 13, 11, 1), // 136 channels and 143 pixels: past one large tile both ways; K = 108, a partial step
    ];

    /// <summary>Every layer; the GEMM's with its small (64 x 64) tiles and with its large (128 x 128) ones.</summary>
    public static TheoryData<int, int, int, int, int, int, int, bool> Shapes()
    {
        var data = new TheoryData<int, int, int, int, int, int, int, bool>();
        foreach (var layer in Layers)
            foreach (bool largeTiles in layer.In <= StemConv3x3Kernel.MaxInputChannels ? new[] { false } : [false, true])
                data.Add(layer.In, layer.Out, layer.Groups, layer.Stride, layer.Height, layer.Width, layer.Batch, largeTiles);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Layer_matches_the_float64_direct_convolution(int inChannels, int outChannels, int groups, int stride, int height, int width, int batch, bool largeTiles)
    {
        var (layout, weights, oihw, bias) = CompiledModels.SingleLayer(inChannels, outChannels, groups, stride, height, width, ConvAlgorithm.Direct, seed: 3);
        Conv3x3Layer layer = layout.Layers[0];
        float[] images = CompiledModels.RandomFloats(batch * inChannels * height * width, seed: 5);
        using GpuInferenceEngine engine = TestEngines.Create(device.Cpu, layout, weights, Precision.Fp32, new(largeTiles ? GemmTileSize.Large : GemmTileSize.Small));

        engine.BeginBatch(images, new float[batch * layout.Head.Classes]);
        engine.Conv3x3BiasRelu(layer);
        var actual = new float[batch * outChannels * layer.OutHeight * layer.OutWidth];
        engine.CopyActivation(actual);

        double[] expected = Conv3x3Reference.Run(images, batch, inChannels, height, width, oihw, bias, outChannels, groups, stride);
        NumericAssert.Close(expected, actual, NumericAssert.Float32Tolerance,
            $"{inChannels} -> {outChannels}, groups {groups}, stride {stride}, {height} x {width}, batch {batch}, {(largeTiles ? "large" : "small")} tiles",
            [batch, outChannels, layer.OutHeight, layer.OutWidth]);
    }
}

/// <summary>
/// The stem kernel in the layouts the reduced-precision engines keep, channels last in TF32-rounded float32 (TF32) and
/// in half precision (FP16): it computes in float32, and its input and its outputs are rounded to the format.
/// </summary>
public class StemChannelsLastTests(TestAccelerator device) : IClassFixture<TestAccelerator>
{
    public static TheoryData<Precision, int, int, int, int, int, int> Shapes()
    {
        var data = new TheoryData<Precision, int, int, int, int, int, int>();
        foreach (Precision precision in new[] { Precision.Tf32, Precision.Fp16 })
        {
            data.Add(precision, 3, 64, 2, 9, 7, 2);  // whole 16-channel blocks, stride 2, odd size
            data.Add(precision, 1, 17, 1, 7, 5, 3);  // one input channel; a block with one channel
            data.Add(precision, 3, 34, 1, 6, 9, 1);  // a channel count that is not a multiple of 4
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Stem_matches_the_float64_convolution(Precision precision, int inChannels, int outChannels, int stride, int height, int width, int batch)
    {
        var (layout, weights, oihw, bias) = CompiledModels.SingleLayer(inChannels, outChannels, 1, stride, height, width, ConvAlgorithm.Direct, seed: 6);
        Conv3x3Layer layer = layout.Layers[0];
        float[] images = CompiledModels.RandomFloats(batch * inChannels * height * width, seed: 8);
        using GpuInferenceEngine engine = GpuEngines.Create(device.Cpu, layout, weights, precision);
        Assert.Equal("stem-direct", engine.DescribeKernel(layer, batch));

        engine.BeginBatch(images, new float[batch * layout.Head.Classes]);
        engine.Conv3x3BiasRelu(layer);
        var actual = new float[batch * outChannels * layer.OutHeight * layer.OutWidth];
        engine.CopyActivation(actual);

        double[] expected = Conv3x3Reference.Run(images, batch, inChannels, height, width, oihw, bias, outChannels, 1, stride);
        string what = $"{precision} stem, {inChannels} -> {outChannels}, stride {stride}, {height} x {width}, batch {batch}";
        // The input and the outputs are rounded to the format (10 mantissa bits either way), and nothing else: within the
        // format's bound, and off by more than float32 arithmetic alone would be somewhere.
        double[] bounds = TensorCoreBound.PerOutput(precision, Activation.FromFloats(images, batch, inChannels, height, width), oihw, bias, outChannels, 1, stride);
        double largest = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= bounds[i], $"{what}, output {i}: expected {expected[i]} within {bounds[i]:E3}, found {actual[i]}.");
            largest = Math.Max(largest, error / Math.Max(Math.Abs(expected[i]), 1e-3));
        }
        Assert.True(largest > Math.ScaleB(1, -16), $"{what}: the largest relative error is {largest:E2}; the outputs were not rounded to {precision}.");
    }
}
