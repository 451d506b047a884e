using RepVgg.Gpu.Weights;

namespace RepVgg.Gpu.Tests;

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

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Winograd_weights_recover_the_3x3_kernels_to_float32_rounding(int inChannels, int outChannels, int groups)
    {
        foreach (ConvAlgorithm algorithm in new[] { ConvAlgorithm.Winograd2x2, ConvAlgorithm.Winograd4x4 })
        {
            var (layout, weights, oihw, _) = CompiledModels.SingleLayer(inChannels, outChannels, groups, 1, 5, 5, algorithm, seed: 4);

            float[] recovered = PackedWeightsReader.ReadOihw(layout.Layers[0], weights);

            // Measured on these shapes: relative L2 1.3e-8 to 1.8e-8 for both (max |error| 6e-8): U's float32 rounding
            // carried back through G+, then rounded to float32 again, which mostly lands on the original weight.
            NumericAssert.Close(oihw.Select(v => (double)v).ToArray(), recovered, 1e-7, $"{algorithm}, {inChannels} -> {outChannels} in {groups} groups");
        }
    }

    [Fact]
    public void Left_inverse_of_G_inverts_it()
    {
        foreach (ConvAlgorithm algorithm in new[] { ConvAlgorithm.Winograd2x2, ConvAlgorithm.Winograd4x4 })
        {
            double[,] g = PackedWeightsReader.WeightTransform(algorithm);
            double[,] inverse = PackedWeightsReader.LeftInverse(g);
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < 3; j++)
                {
                    double product = 0;
                    for (int p = 0; p < g.GetLength(0); p++) product += inverse[i, p] * g[p, j];
                    Assert.Equal(i == j ? 1.0 : 0.0, product, 1e-14);
                }
            }
        }
    }

    [Fact]
    public void Gemm_layout_puts_each_groups_output_channels_contiguous_per_tap()
    {
        // 4 -> 6 channels in 2 groups: OIHW value (oc, icInGroup, tap) goes to [group][icInGroup * 9 + tap][oc % 3].
        float[] oihw = Enumerable.Range(0, 6 * 2 * 9).Select(i => (float)i).ToArray();

        float[] gemm = GemmWeightLayout.FromOihw(oihw, 4, 6, 2);

        for (int oc = 0; oc < 6; oc++)
            for (int icInGroup = 0; icInGroup < 2; icInGroup++)
                for (int tap = 0; tap < 9; tap++)
                    Assert.Equal(oihw[(oc * 2 + icInGroup) * 9 + tap], gemm[(oc / 3 * 18 + icInGroup * 9 + tap) * 3 + oc % 3]);
    }
}
