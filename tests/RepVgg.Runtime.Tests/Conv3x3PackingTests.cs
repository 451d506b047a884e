using RepVgg.Cpu;

namespace RepVgg.Runtime.Tests;

/// <summary>The packed layout <c>cpu-oc16-v1</c>, as documented on <see cref="Conv3x3Packing"/>.</summary>
public class Conv3x3PackingTests
{
    [Theory]
    // Dense: every block reads all 48 inputs; 33 outputs need 3 blocks.
    [InlineData(48, 33, 1, new[] { 0, 48, 0, 48, 0, 48 })]
    // 8-channel groups of 8 outputs: each block covers two groups, 16 inputs.
    [InlineData(32, 32, 4, new[] { 0, 16, 16, 16 })]
    // 24-channel groups straddle the blocks: block 1 (outputs 16-31) covers groups 0 and 1.
    [InlineData(48, 48, 2, new[] { 0, 24, 0, 48, 24, 24 })]
    // Depthwise 17: block 1 holds only output 16, which reads only input 16.
    [InlineData(17, 17, 17, new[] { 0, 16, 16, 1 })]
    // 5 inputs and 10 outputs per group: block 0 (outputs 0-15) covers groups 0-1, block 1 (16-31) groups 1-3, block 2 (32-39) group 3.
    [InlineData(20, 40, 4, new[] { 0, 10, 5, 15, 15, 5 })]
    public void Each_block_reads_the_input_range_of_its_groups(int inChannels, int outChannels, int groups, int[] firstAndCount)
    {
        int blocks = Conv3x3Packing.OutputBlockCount(outChannels);
        Assert.Equal(firstAndCount.Length / 2, blocks);
        int total = 0;
        for (int b = 0; b < blocks; b++)
        {
            Assert.Equal((firstAndCount[2 * b], firstAndCount[2 * b + 1]), Conv3x3Packing.InputChannelRange(b, inChannels, outChannels, groups));
            Assert.Equal(total, Conv3x3Packing.BlockWeightOffset(b, inChannels, outChannels, groups));
            total += firstAndCount[2 * b + 1] * 9 * 16;
        }
        Assert.Equal(total, Conv3x3Packing.PackedWeightLength(inChannels, outChannels, groups));
    }

    [Theory]
    [InlineData(48, 33, 1)]
    [InlineData(32, 32, 4)]
    [InlineData(48, 48, 2)]
    [InlineData(17, 17, 17)]
    [InlineData(20, 40, 4)]
    [InlineData(3, 1, 1)]
    public void Every_weight_lands_at_its_block_input_tap_and_lane_and_the_rest_is_zero(int inChannels, int outChannels, int groups)
    {
        int inPerGroup = inChannels / groups, outPerGroup = outChannels / groups;
        // Weights 1, 2, 3, ...: each value says where it came from, and none is zero.
        float[] oihw = Enumerable.Range(1, outChannels * inPerGroup * 9).Select(v => (float)v).ToArray();
        var packed = new float[Conv3x3Packing.PackedWeightLength(inChannels, outChannels, groups)];
        Conv3x3Packing.PackWeights(oihw, inChannels, outChannels, groups, packed);

        var placed = new bool[packed.Length];
        for (int oc = 0; oc < outChannels; oc++)
        {
            int block = oc / 16;
            int first = Conv3x3Packing.InputChannelRange(block, inChannels, outChannels, groups).First;
            int blockOffset = Conv3x3Packing.BlockWeightOffset(block, inChannels, outChannels, groups);
            for (int i = 0; i < inPerGroup; i++)
                for (int tap = 0; tap < 9; tap++)
                {
                    int ic = oc / outPerGroup * inPerGroup + i;
                    int index = blockOffset + ((ic - first) * 9 + tap) * 16 + oc % 16;
                    Assert.Equal(oihw[(oc * inPerGroup + i) * 9 + tap], packed[index]);
                    placed[index] = true;
                }
        }
        for (int index = 0; index < packed.Length; index++)
            if (!placed[index])
                Assert.True(packed[index] == 0, $"Packed float {index} is {packed[index]}, but no weight belongs there.");
    }

    [Fact]
    public void Bias_is_padded_with_zeros_to_a_multiple_of_16()
    {
        Assert.Equal(48, Conv3x3Packing.PackedBiasLength(33));
        Assert.Equal(16, Conv3x3Packing.PackedBiasLength(16));
        float[] bias = Enumerable.Range(1, 17).Select(v => (float)v).ToArray();
        var packed = Enumerable.Repeat(float.NaN, 32).ToArray();
        Conv3x3Packing.PackBias(bias, packed);
        Assert.Equal(bias, packed[..17]);
        Assert.All(packed[17..], value => Assert.Equal(0f, value));
    }

    [Fact]
    public void Packing_overwrites_whatever_the_destination_held()
    {
        float[] oihw = Enumerable.Repeat(1f, 8 * 4 * 9).ToArray();
        var packed = Enumerable.Repeat(float.NaN, Conv3x3Packing.PackedWeightLength(8, 8, 2)).ToArray();
        Conv3x3Packing.PackWeights(oihw, 8, 8, 2, packed);
        Assert.DoesNotContain(packed, float.IsNaN);
    }

    [Theory]
    [InlineData(0, 16, 1)]
    [InlineData(16, 16, 0)]
    [InlineData(16, 12, 8)]
    [InlineData(12, 16, 8)]
    public void Invalid_shapes_are_refused(int inChannels, int outChannels, int groups)
    {
        var error = Assert.Throws<ArgumentException>(() => Conv3x3Packing.PackedWeightLength(inChannels, outChannels, groups));
        Assert.Contains($"{inChannels} -> {outChannels} channels in {groups} groups", error.Message);
    }

    [Fact]
    public void Wrong_span_lengths_are_refused()
    {
        int length = Conv3x3Packing.PackedWeightLength(16, 16, 1);
        var oihwError = Assert.Throws<ArgumentException>(() => Conv3x3Packing.PackWeights(new float[10], 16, 16, 1, new float[length]));
        Assert.Contains("16 x 16 x 3 x 3 = 2304", oihwError.Message);
        var packedError = Assert.Throws<ArgumentException>(() => Conv3x3Packing.PackWeights(new float[2304], 16, 16, 1, new float[length - 1]));
        Assert.Equal("packed", packedError.ParamName);
        Assert.Throws<ArgumentException>(() => Conv3x3Packing.PackBias(new float[17], new float[17]));
    }
}
