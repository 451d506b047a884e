using RepVgg.Cpu;

namespace RepVgg.Runtime.Tests;

/// <summary>
/// One conv3x3 + bias + ReLU layer (then the head) on the CPU engine against the scalar reference,
/// on both SIMD kernels, over shapes that cross every vector width and tile edge: channel counts
/// around the 16-lane block, groups that straddle a block, depthwise, widths below, at and past the
/// 6- and 7-pixel tiles, stride 1 and 2, batches of 1 to 3.
/// </summary>
public class CpuConv3x3Tests
{
    private static readonly int[] ChannelCounts = [1, 3, 5, 16, 17, 33, 48];
    private static readonly int[] Sizes = [1, 2, 3, 7, 13];
    private static readonly int[] VectorBits = [256, 512];

    /// <summary>Every pair of channel counts, dense; odd widths give full tiles plus an overlapping last one.</summary>
    public static TheoryData<int, int, int, int, int, int, int, int> ChannelCases()
    {
        var cases = new TheoryData<int, int, int, int, int, int, int, int>();
        foreach (int bits in VectorBits)
            for (int i = 0; i < ChannelCounts.Length; i++)
                for (int o = 0; o < ChannelCounts.Length; o++)
                {
                    int stride = (i + o) % 2 + 1;
                    (int height, int width) = stride == 1 ? (9, 13) : (13, 15);
                    cases.Add(ChannelCounts[i], ChannelCounts[o], 1, stride, height, width, 1 + (i + o) % 3, bits);
                }
        return cases;
    }

    /// <summary>Every height and width in {1, 2, 3, 7, 13}, and 33 x 47, at both strides.</summary>
    public static TheoryData<int, int, int, int, int, int, int, int> SpatialCases()
    {
        var cases = new TheoryData<int, int, int, int, int, int, int, int>();
        (int Height, int Width)[] shapes = [.. from h in Sizes from w in Sizes select (h, w), (33, 47)];
        foreach (int bits in VectorBits)
            for (int stride = 1; stride <= 2; stride++)
                for (int k = 0; k < shapes.Length; k++)
                    cases.Add(17, 33, 1, stride, shapes[k].Height, shapes[k].Width, 1 + k % 3, bits);
        return cases;
    }

    /// <summary>
    /// Grouped convs: groups of 8 and 12 input channels that straddle a 16-lane output block, groups
    /// wider than a block, uneven in/out widths per group, and depthwise (one channel per group).
    /// </summary>
    public static TheoryData<int, int, int, int, int, int, int, int> GroupCases()
    {
        (int In, int Out, int Groups)[] convs =
        [
            (16, 16, 2), (16, 32, 2), (32, 32, 4), (32, 16, 4), (48, 48, 2), (48, 48, 4), (20, 40, 4), (4, 8, 4),
            (2, 2, 2), (16, 16, 16), (17, 17, 17), (48, 48, 48),
        ];
        var cases = new TheoryData<int, int, int, int, int, int, int, int>();
        foreach (int bits in VectorBits)
            for (int stride = 1; stride <= 2; stride++)
                foreach (var (inChannels, outChannels, groups) in convs)
                    cases.Add(inChannels, outChannels, groups, stride, 13, 7, 2, bits);
        return cases;
    }

    [Theory]
    [MemberData(nameof(ChannelCases))]
    [MemberData(nameof(SpatialCases))]
    [MemberData(nameof(GroupCases))]
    public void Layer_matches_scalar_reference(
        int inChannels, int outChannels, int groups, int stride, int height, int width, int batch, int vectorBits)
    {
        var network = TestNetwork.Create(seed: 1234, inChannels, height, width, [new LayerSpec(outChannels, groups, stride)], classes: 3);
        using CpuInferenceEngine engine = network.CreateEngine(vectorBits == 512 ? VectorWidth.Vector512 : VectorWidth.Vector256);
        ReferenceComparison.CheckBatch(engine, network, batch, seed: 42);
    }
}
