using RepVgg.Gpu.Weights;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// The float32 implicit GEMM's weight layout read back as its definition states it: float i of quad q of output channel
/// m in group g is k = 4q + i, tap k / padded channels, input channel k % padded channels; every fused weight must sit
/// there exactly once, and every padding float is zero.
/// </summary>
public class TapQuadWeightLayoutTests
{
    [Theory]
    [InlineData(8, 12, 1)]  // channels a multiple of 4: no padding
    [InlineData(10, 6, 2)]  // 5 channels a group, padded to 8 per tap
    [InlineData(6, 9, 3)]   // 2 channels a group, padded to 4; 3 output channels a group
    public void Every_weight_lands_once_at_its_tap_and_channel(int inChannels, int outChannels, int groups)
    {
        var (layout, _, oihw, _) = CompiledModels.SingleLayer(inChannels, outChannels, groups, stride: 1, height: 4, width: 4, ConvAlgorithm.Direct, seed: 13);
        Conv3x3Layer layer = layout.Layers[0];
        float[] laidOut = TapQuadWeightLayout.FromOihw(oihw, layer);

        int inPerGroup = inChannels / groups, outPerGroup = outChannels / groups;
        int padded = (inPerGroup + 3) / 4 * 4;
        int quads = 9 * padded / 4;
        Assert.Equal((long)groups * quads * outPerGroup * 4, laidOut.Length);
        var seen = new int[oihw.Length];
        for (int group = 0; group < groups; group++)
            for (int quad = 0; quad < quads; quad++)
                for (int m = 0; m < outPerGroup; m++)
                    for (int i = 0; i < 4; i++)
                    {
                        float actual = laidOut[((group * quads + quad) * outPerGroup + m) * 4 + i];
                        int k = 4 * quad + i, tap = k / padded, inChannel = k % padded;
                        if (inChannel >= inPerGroup)
                        {
                            Assert.True(actual == 0, $"group {group}, quad {quad}, channel {m}, float {i}: padding, expected 0, found {actual}.");
                            continue;
                        }
                        int index = ((group * outPerGroup + m) * inPerGroup + inChannel) * 9 + tap;
                        seen[index]++;
                        Assert.True(actual == oihw[index], $"group {group}, quad {quad}, channel {m}, float {i}: expected weight {index} ({oihw[index]}), found {actual}.");
                    }
        Assert.All(seen, count => Assert.Equal(1, count));
    }
}
