using RepVgg.Gpu;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// One fused layer through the engine (the GEMM kernel, or the stem kernel for few input channels) against a
/// float64 direct convolution, on shapes that cross every tile edge: channel counts that are not multiples of 64
/// or 16, odd image sizes, stride 2, groups, batches of 1 and 3.
/// </summary>
public class Conv3x3KernelTests
{
    public static TheoryData<int, int, int, int, int, int, int> Shapes() => new()
    {
        // in, out, groups, stride, height, width, batch
        { 3, 5, 1, 2, 7, 5, 1 },     // stem kernel, stride 2, odd size
        { 1, 17, 1, 1, 7, 5, 3 },    // stem kernel, one input channel
        { 3, 33, 1, 1, 9, 6, 3 },    // stem kernel, channels past 2 of its 16-channel blocks
        { 5, 17, 1, 1, 7, 5, 1 },    // GEMM, K = 45: a partial 16-deep step
        { 17, 33, 1, 2, 7, 5, 3 },   // GEMM, stride 2, batch 3: the pixel tile spans images
        { 34, 34, 2, 1, 5, 7, 1 },   // groups 2
        { 20, 68, 4, 2, 9, 7, 3 },   // groups 4, stride 2
        { 16, 72, 1, 1, 11, 9, 1 },  // 72 channels: two channel tiles, the second nearly empty
        { 33, 5, 1, 1, 1, 1, 3 },    // 1 x 1 image: every tap but the centre is padding
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Layer_matches_the_float64_direct_convolution(int inChannels, int outChannels, int groups, int stride, int height, int width, int batch)
    {
        var (layout, weights, oihw, bias) = CompiledModels.SingleLayer(inChannels, outChannels, groups, stride, height, width, ConvAlgorithm.Direct, seed: 3);
        Conv3x3Layer layer = layout.Layers[0];
        float[] images = CompiledModels.RandomFloats(batch * inChannels * height * width, seed: 5);
        using GpuInferenceEngine engine = GpuEngines.Create(TestAccelerator.Cpu, layout, weights);

        engine.BeginBatch(images, new float[batch * layout.Head.Classes]);
        engine.Conv3x3BiasRelu(layer);
        var actual = new float[batch * outChannels * layer.OutHeight * layer.OutWidth];
        engine.CopyActivation(actual);

        double[] expected = Conv3x3Reference.Run(images, batch, inChannels, height, width, oihw, bias, outChannels, groups, stride);
        NumericAssert.Close(expected, actual, NumericAssert.Float32Tolerance,
            $"{inChannels} -> {outChannels}, groups {groups}, stride {stride}, {height} x {width}, batch {batch}",
            [batch, outChannels, layer.OutHeight, layer.OutWidth]);
    }
}
