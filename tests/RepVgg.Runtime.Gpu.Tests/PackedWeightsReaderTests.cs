using RepVgg.Gpu;
using RepVgg.Gpu.Weights;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// The weights the engine reads back out of blobs packed by the weights step (the CPU packers), against the
/// fused float32 weights they were packed from.
/// </summary>
public class PackedWeightsReaderTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        // in, out, groups: blocks of 16 that straddle groups, padding lanes, depthwise.
        { 3, 5, 1 },
        { 17, 33, 1 },
        { 20, 68, 4 },
        { 24, 24, 3 },
        { 16, 16, 16 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Direct_layout_unpacks_to_the_packed_weights_exactly(int inChannels, int outChannels, int groups)
    {
        var (layout, weights, oihw, _) = CompiledModels.SingleLayer(inChannels, outChannels, groups, 1, 5, 5, ConvAlgorithm.Direct, seed: 4);

        Assert.Equal(oihw, PackedWeightsReader.ReadOihw(layout.Layers[0], weights));
    }

    public static TheoryData<ConvAlgorithm, int, int, int> WinogradShapes() => new()
    {
        { ConvAlgorithm.Winograd2x2, 17, 33, 1 },
        { ConvAlgorithm.Winograd2x2, 20, 68, 4 },
        { ConvAlgorithm.Winograd4x4, 17, 33, 1 },
        { ConvAlgorithm.Winograd4x4, 24, 24, 3 },
    };

    /// <summary>A compact blob holds a Winograd layer in the direct layout: it reads back exactly.</summary>
    [Theory]
    [MemberData(nameof(WinogradShapes))]
    public void Winograd_layer_of_a_compact_blob_unpacks_to_its_weights_exactly(ConvAlgorithm algorithm, int inChannels, int outChannels, int groups)
    {
        var (layout, weights, oihw, _) = CompiledModels.SingleLayer(inChannels, outChannels, groups, 1, 6, 6, algorithm, seed: 4, WeightsLayout.Compact);

        Assert.Equal(oihw, PackedWeightsReader.ReadOihw(layout.Layers[0], weights));
    }

    [Theory]
    [MemberData(nameof(WinogradShapes))]
    public void Winograd_layout_untransforms_to_the_weights_it_was_packed_from(ConvAlgorithm algorithm, int inChannels, int outChannels, int groups)
    {
        var (layout, weights, oihw, _) = CompiledModels.SingleLayer(inChannels, outChannels, groups, 1, 6, 6, algorithm, seed: 4, WeightsLayout.Prepacked);

        float[] actual = PackedWeightsReader.ReadOihw(layout.Layers[0], weights);

        // A prepacked blob holds G g G^T rounded to float32; a few roundings of the largest weight is what comes back.
        float largest = oihw.Max(MathF.Abs);
        Assert.Equal(oihw.Length, actual.Length);
        for (int i = 0; i < oihw.Length; i++)
            Assert.True(Math.Abs(actual[i] - oihw[i]) <= 1e-6 * largest, $"Weight {i}: expected {oihw[i]}, found {actual[i]}.");
    }

    [Fact]
    public void Stem_layout_puts_each_groups_output_channels_contiguous_per_tap()
    {
        // 4 -> 6 channels in 2 groups: OIHW value (oc, icInGroup, tap) goes to [group][icInGroup * 9 + tap][oc % 3].
        float[] oihw = Enumerable.Range(0, 6 * 2 * 9).Select(i => (float)i).ToArray();

        float[] gemm = StemWeightLayout.FromOihw(oihw, 4, 6, 2);

        for (int oc = 0; oc < 6; oc++)
            for (int icInGroup = 0; icInGroup < 2; icInGroup++)
                for (int tap = 0; tap < 9; tap++)
                    Assert.Equal(oihw[(oc * 2 + icInGroup) * 9 + tap], gemm[(oc / 3 * 18 + icInGroup * 9 + tap) * 3 + oc % 3]);
    }
}
