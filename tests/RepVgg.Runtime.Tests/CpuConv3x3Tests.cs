using RepVgg.Cpu;

namespace RepVgg.Runtime.Tests;

/// <summary>
/// One conv3x3 + bias + ReLU layer (then the head) on the CPU engine against the scalar reference,
/// for both algorithms on every vector width, over shapes that cross every vector width and tile
/// edge: channel counts around the 16-lane block, groups that straddle a block, depthwise, widths
/// below, at and past the pixel tiles and the 4 x 4 Winograd tiles, stride 1 and 2, batches of 1 to 3.
/// </summary>
public class CpuConv3x3Tests
{
    private static readonly int[] ChannelCounts = [1, 3, 5, 16, 17, 33, 48];
    private static readonly int[] Sizes = [1, 2, 3, 7, 13];

    /// <summary>0 for the scalar kernels, else the vector width in bits.</summary>
    public static readonly int[] WidthBits = [0, 128, 256, 512];

    /// <summary>The direct algorithm at both strides, and both Winograd algorithms (stride 1 only).</summary>
    private static readonly (ConvAlgorithm Algorithm, int Stride)[] Algorithms =
        [(ConvAlgorithm.Direct, 1), (ConvAlgorithm.Direct, 2), (ConvAlgorithm.Winograd2x2, 1), (ConvAlgorithm.Winograd4x4, 1)];

    internal static VectorWidth Width(int bits) => bits switch
    {
        0 => VectorWidth.Scalar,
        128 => VectorWidth.Vector128,
        256 => VectorWidth.Vector256,
        _ => VectorWidth.Vector512,
    };

    /// <summary>Every pair of channel counts, dense; odd widths give full tiles plus an overlapping last one.</summary>
    public static TheoryData<int, int, int, int, ConvAlgorithm, int, int, int, int> ChannelCases()
    {
        var cases = new TheoryData<int, int, int, int, ConvAlgorithm, int, int, int, int>();
        foreach (int bits in WidthBits)
            for (int i = 0; i < ChannelCounts.Length; i++)
                for (int o = 0; o < ChannelCounts.Length; o++)
                {
                    var (algorithm, stride) = Algorithms[(i + o) % Algorithms.Length];
                    (int height, int width) = stride == 1 ? (9, 13) : (13, 15);
                    cases.Add(ChannelCounts[i], ChannelCounts[o], 1, stride, algorithm, height, width, 1 + (i + o) % 3, bits);
                }
        return cases;
    }

    /// <summary>Every height and width in {1, 2, 3, 7, 13}, and 33 x 47, for each algorithm and stride.</summary>
    public static TheoryData<int, int, int, int, ConvAlgorithm, int, int, int, int> SpatialCases()
    {
        var cases = new TheoryData<int, int, int, int, ConvAlgorithm, int, int, int, int>();
        (int Height, int Width)[] shapes = [.. from h in Sizes from w in Sizes select (h, w), (33, 47)];
        foreach (int bits in WidthBits)
            foreach (var (algorithm, stride) in Algorithms)
                for (int k = 0; k < shapes.Length; k++)
                    cases.Add(17, 33, 1, stride, algorithm, shapes[k].Height, shapes[k].Width, 1 + k % 3, bits);
        return cases;
    }

    /// <summary>
    /// Grouped convs: groups of 8 and 12 input channels that straddle a 16-lane output block, groups
    /// wider than a block, uneven in/out widths per group, and depthwise (one channel per group).
    /// </summary>
    public static TheoryData<int, int, int, int, ConvAlgorithm, int, int, int, int> GroupCases()
    {
        (int In, int Out, int Groups)[] convs =
        [
            (16, 16, 2), (16, 32, 2), (32, 32, 4), (32, 16, 4), (48, 48, 2), (48, 48, 4), (20, 40, 4), (4, 8, 4),
            (2, 2, 2), (16, 16, 16), (17, 17, 17), (48, 48, 48),
        ];
        var cases = new TheoryData<int, int, int, int, ConvAlgorithm, int, int, int, int>();
        foreach (int bits in WidthBits)
            foreach (var (algorithm, stride) in Algorithms)
                foreach (var (inChannels, outChannels, groups) in convs)
                    cases.Add(inChannels, outChannels, groups, stride, algorithm, 13, 7, 2, bits);
        return cases;
    }

    [Theory]
    [MemberData(nameof(ChannelCases))]
    [MemberData(nameof(SpatialCases))]
    [MemberData(nameof(GroupCases))]
    public void Layer_matches_scalar_reference(
        int inChannels, int outChannels, int groups, int stride, ConvAlgorithm algorithm, int height, int width, int batch, int widthBits)
    {
        var network = TestNetwork.Create(seed: 1234, inChannels, height, width,
            [new LayerSpec(outChannels, groups, stride, algorithm)], classes: 3);
        using CpuInferenceEngine engine = network.CreateEngine(Width(widthBits));
        ReferenceComparison.CheckBatch(engine, network, batch, seed: 42);
    }

    /// <summary>
    /// Each SIMD width against the scalar kernels on the same layer: the same packed weights, the same
    /// order of operations per output, so the results agree to float32 rounding of the transforms.
    /// </summary>
    [Theory]
    [InlineData(48, 33, 1, 1, ConvAlgorithm.Direct, 128)]
    [InlineData(48, 33, 1, 1, ConvAlgorithm.Direct, 256)]
    [InlineData(48, 33, 1, 1, ConvAlgorithm.Direct, 512)]
    [InlineData(33, 48, 3, 2, ConvAlgorithm.Direct, 256)]
    [InlineData(33, 48, 3, 2, ConvAlgorithm.Direct, 512)]
    [InlineData(48, 33, 1, 1, ConvAlgorithm.Winograd2x2, 128)]
    [InlineData(48, 33, 1, 1, ConvAlgorithm.Winograd2x2, 256)]
    [InlineData(48, 33, 1, 1, ConvAlgorithm.Winograd2x2, 512)]
    [InlineData(48, 33, 1, 1, ConvAlgorithm.Winograd4x4, 128)]
    [InlineData(48, 33, 1, 1, ConvAlgorithm.Winograd4x4, 256)]
    [InlineData(48, 33, 1, 1, ConvAlgorithm.Winograd4x4, 512)]
    [InlineData(40, 20, 4, 1, ConvAlgorithm.Winograd4x4, 512)]
    public void Every_width_matches_the_scalar_kernels(int inChannels, int outChannels, int groups, int stride, ConvAlgorithm algorithm, int widthBits)
    {
        var network = TestNetwork.Create(seed: 77, inChannels, 19, 23, [new LayerSpec(outChannels, groups, stride, algorithm)], classes: 3);
        float[] scalar = LayerOutput(network, VectorWidth.Scalar, batch: 3);
        float[] simd = LayerOutput(network, Width(widthBits), batch: 3);
        Conv3x3Layer layer = network.Layout.Layers[0];
        NumericAssert.Close(Array.ConvertAll(scalar, v => (double)v), simd, relativeL2: 1e-6,
            $"{Width(widthBits)} against Scalar, {algorithm}", [3, layer.OutChannels, layer.OutHeight, layer.OutWidth]);
    }

    private static float[] LayerOutput(TestNetwork network, VectorWidth width, int batch)
    {
        using CpuInferenceEngine engine = network.CreateEngine(width);
        var logits = new float[batch * network.Layout.Head.Classes];
        engine.BeginBatch(network.Images(batch, seed: 5), logits);
        Conv3x3Layer layer = network.Layout.Layers[0];
        engine.Conv3x3BiasRelu(layer);
        var output = new float[batch * layer.OutChannels * layer.OutHeight * layer.OutWidth];
        engine.CopyActivation(output);
        return output;
    }
}
