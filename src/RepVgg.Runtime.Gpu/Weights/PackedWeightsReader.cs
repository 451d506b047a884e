using RepVgg.Cpu;

namespace RepVgg.Gpu.Weights;

/// <summary>
/// Reads a layer's fused weights back out of the blob, which holds them in the CPU kernels' layouts, as
/// PyTorch's OIHW (outChannels, inChannels / groups, 3, 3): the inverse of <see cref="Conv3x3Packing.PackWeights(ReadOnlySpan{float}, int, int, int, Span{float})"/>.
/// Direct layers only: a Winograd layer's transformed weights go to the GPU's Winograd kernels as they are (relaid).
/// </summary>
internal static class PackedWeightsReader
{
    /// <summary>The OIHW weights of the direct layer <paramref name="layer"/>.</summary>
    /// <exception cref="ArgumentException">The layer is not a direct one.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The layer's weights lie outside the blob.</exception>
    public static float[] ReadOihw(Conv3x3Layer layer, ModelWeights weights)
    {
        if (layer.Algorithm != ConvAlgorithm.Direct)
            throw new ArgumentException($"Layer {layer.Name} is computed by {layer.Algorithm}: its weights are transformed, not in the direct layout.", nameof(layer));
        int length = Conv3x3Packing.PackedWeightLength(layer.InChannels, layer.OutChannels, layer.Groups);
        return UnpackDirect(weights.Slice(layer.WeightOffset, length), layer.InChannels, layer.OutChannels, layer.Groups);
    }

    /// <summary>The inverse of the <c>cpu-oc16-v1</c> packing: OIHW weights from <paramref name="packed"/>.</summary>
    /// <exception cref="ArgumentException">The shape is invalid or <paramref name="packed"/> has the wrong length.</exception>
    public static float[] UnpackDirect(ReadOnlySpan<float> packed, int inChannels, int outChannels, int groups)
    {
        int expected = Conv3x3Packing.PackedWeightLength(inChannels, outChannels, groups);
        if (packed.Length != expected)
            throw new ArgumentException($"Expected {expected} packed floats (cpu-oc16-v1, {inChannels} -> {outChannels} channels in {groups} groups); found {packed.Length}.", nameof(packed));
        int inPerGroup = inChannels / groups;
        var oihw = new float[outChannels * inPerGroup * 9];
        foreach (var (oc, icInGroup, blockOffset, icInRange, lane) in Entries(inChannels, outChannels, groups))
        {
            for (int tap = 0; tap < 9; tap++)
                oihw[(oc * inPerGroup + icInGroup) * 9 + tap] = packed[blockOffset + (icInRange * 9 + tap) * Conv3x3Packing.BlockLanes + lane];
        }
        return oihw;
    }

    /// <summary>
    /// Every (output channel, input channel of its group) pair with where the CPU layouts keep it: the offset of
    /// its block of 16 output channels in the direct layout, the input channel's index in the block's range, the lane.
    /// </summary>
    private static IEnumerable<(int Oc, int IcInGroup, int BlockOffset, int IcInRange, int Lane)> Entries(int inChannels, int outChannels, int groups)
    {
        int inPerGroup = inChannels / groups;
        int outPerGroup = outChannels / groups;
        for (int block = 0; block < Conv3x3Packing.OutputBlockCount(outChannels); block++)
        {
            int firstInput = Conv3x3Packing.InputChannelRange(block, inChannels, outChannels, groups).First;
            int blockOffset = Conv3x3Packing.BlockWeightOffset(block, inChannels, outChannels, groups);
            int lanes = Math.Min(Conv3x3Packing.BlockLanes, outChannels - block * Conv3x3Packing.BlockLanes);
            for (int lane = 0; lane < lanes; lane++)
            {
                int oc = block * Conv3x3Packing.BlockLanes + lane;
                int groupStart = oc / outPerGroup * inPerGroup;
                for (int icInGroup = 0; icInGroup < inPerGroup; icInGroup++)
                    yield return (oc, icInGroup, blockOffset, groupStart + icInGroup - firstInput, lane);
            }
        }
    }
}
