namespace RepVgg.Cpu;

/// <summary>
/// The build-time packing of a fused conv3x3 layer for the CPU kernels. The weights step calls it
/// once per layer; at run time the kernels read the packed floats straight from the weight blob.
/// </summary>
/// <remarks>
/// <para>
/// Layout <c>cpu-oc16-v1</c>. Output channels are cut into blocks of 16, one block per kernel
/// accumulator (a <c>Vector512</c>, or two <c>Vector256</c>s). Block <c>b</c> holds output
/// channels <c>[16b, 16b + 16)</c> and reads the contiguous input-channel range covering every
/// group those output channels belong to (see <see cref="InputChannelRange"/>). Its weights are
/// </para>
/// <code>
/// [icInRange][ky 3][kx 3][oc lane 16]
/// </code>
/// <para>
/// and the blocks follow one another in order, so block <c>b</c> starts after the sizes of blocks
/// <c>0..b-1</c>. A lane is zero where its output channel's group does not include that input
/// channel, and for the padding lanes past <c>outChannels</c>. This one layout serves dense convs,
/// groups of 16 or more channels, and small groups (8 channels, depthwise) that straddle a block:
/// the kernel never needs to know about groups, at the cost of multiplying by zeros when groups
/// are narrower than a block. The bias is padded with zeros to a multiple of 16, so padding lanes
/// compute ReLU(0) = 0.
/// </para>
/// <para>The layout depends only on (inChannels, outChannels, groups).</para>
/// </remarks>
internal static class Conv3x3Packing
{
    /// <summary>Output channels per block: the lanes of one accumulator.</summary>
    internal const int BlockLanes = 16;

    /// <summary>Floats per input channel of a block: 3 x 3 taps x 16 lanes.</summary>
    internal const int FloatsPerInputChannel = 9 * BlockLanes;

    /// <summary>Floats of packed weights for a layer.</summary>
    /// <exception cref="ArgumentException">The channel counts or groups are not positive, or groups does not divide both.</exception>
    public static int PackedWeightLength(int inChannels, int outChannels, int groups)
    {
        Validate(inChannels, outChannels, groups);
        return BlockWeightOffset(OutputBlockCount(outChannels), inChannels, outChannels, groups);
    }

    /// <summary>
    /// Packs fused weights <paramref name="oihw"/>, PyTorch layout (outChannels, inChannels / groups, 3, 3),
    /// into <paramref name="packed"/>, which must be <see cref="PackedWeightLength"/> floats.
    /// </summary>
    /// <exception cref="ArgumentException">A shape argument is invalid or a span has the wrong length.</exception>
    public static void PackWeights(ReadOnlySpan<float> oihw, int inChannels, int outChannels, int groups, Span<float> packed)
    {
        CheckLengths(oihw.Length, inChannels, outChannels, groups, packed.Length, PackedWeightLength(inChannels, outChannels, groups));
        int inPerGroup = inChannels / groups;
        int outPerGroup = outChannels / groups;

        packed.Clear();
        for (int block = 0; block < OutputBlockCount(outChannels); block++)
        {
            var (firstInput, inputCount) = InputChannelRange(block, inChannels, outChannels, groups);
            Span<float> blockWeights = packed.Slice(BlockWeightOffset(block, inChannels, outChannels, groups), inputCount * FloatsPerInputChannel);
            int lanes = Math.Min(BlockLanes, outChannels - block * BlockLanes);
            for (int lane = 0; lane < lanes; lane++)
            {
                int oc = block * BlockLanes + lane;
                int groupStart = oc / outPerGroup * inPerGroup;
                for (int icInGroup = 0; icInGroup < inPerGroup; icInGroup++)
                {
                    int icInRange = groupStart + icInGroup - firstInput;
                    for (int tap = 0; tap < 9; tap++)
                        blockWeights[(icInRange * 9 + tap) * BlockLanes + lane] = oihw[(oc * inPerGroup + icInGroup) * 9 + tap];
                }
            }
        }
    }

    /// <summary>
    /// Checks that a packer got (outChannels, inChannels / groups, 3, 3) weights and a destination of
    /// <paramref name="expectedPacked"/> floats.
    /// </summary>
    /// <exception cref="ArgumentException">Either length is wrong.</exception>
    internal static void CheckLengths(int oihwLength, int inChannels, int outChannels, int groups, int packedLength, int expectedPacked)
    {
        int inPerGroup = inChannels / groups;
        if (oihwLength != outChannels * inPerGroup * 9)
            throw new ArgumentException(
                $"Expected {outChannels} x {inPerGroup} x 3 x 3 = {outChannels * inPerGroup * 9} weights (OIHW); found {oihwLength}.", "oihw");
        if (packedLength != expectedPacked)
            throw new ArgumentException($"Expected {expectedPacked} packed floats; found {packedLength}.", "packed");
    }

    /// <summary>
    /// The layout a blob in <paramref name="layout"/> holds the weights of a layer computed by <paramref name="algorithm"/>
    /// in, named by the algorithm that reads it: the direct one in a compact blob, the layer's own when prepacked. The
    /// weights step packs by it and the engines read by it.
    /// </summary>
    internal static ConvAlgorithm StoredAlgorithm(WeightsLayout layout, ConvAlgorithm algorithm) =>
        layout == WeightsLayout.Compact ? ConvAlgorithm.Direct : algorithm;

    /// <summary>
    /// Floats of packed weights for a layer computed by <paramref name="algorithm"/>: this layout for direct
    /// convolution, <see cref="WinogradPacking"/>'s for Winograd.
    /// </summary>
    /// <exception cref="ArgumentException">The channel counts or groups are not positive, or groups does not divide both.</exception>
    public static int PackedWeightLength(ConvAlgorithm algorithm, int inChannels, int outChannels, int groups) =>
        algorithm == ConvAlgorithm.Direct
            ? PackedWeightLength(inChannels, outChannels, groups)
            : WinogradPacking.PackedWeightLength(algorithm, inChannels, outChannels, groups);

    /// <summary>
    /// Packs fused weights <paramref name="oihw"/> (outChannels, inChannels / groups, 3, 3) for <paramref name="algorithm"/>
    /// into <paramref name="packed"/>, <see cref="PackedWeightLength(ConvAlgorithm, int, int, int)"/> floats.
    /// </summary>
    /// <exception cref="ArgumentException">A shape argument is invalid or a span has the wrong length.</exception>
    public static void PackWeights(ConvAlgorithm algorithm, ReadOnlySpan<float> oihw, int inChannels, int outChannels, int groups, Span<float> packed)
    {
        if (algorithm == ConvAlgorithm.Direct)
            PackWeights(oihw, inChannels, outChannels, groups, packed);
        else
            WinogradPacking.PackWeights(algorithm, oihw, inChannels, outChannels, groups, packed);
    }

    /// <summary>Floats of packed bias for a layer: <paramref name="outChannels"/> rounded up to a multiple of 16.</summary>
    public static int PackedBiasLength(int outChannels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outChannels);
        return OutputBlockCount(outChannels) * BlockLanes;
    }

    /// <summary>
    /// Copies <paramref name="bias"/> (outChannels floats) into <paramref name="packed"/>
    /// (<see cref="PackedBiasLength"/> floats), zero padded.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="packed"/> has the wrong length.</exception>
    public static void PackBias(ReadOnlySpan<float> bias, Span<float> packed)
    {
        int length = PackedBiasLength(bias.Length);
        if (packed.Length != length)
            throw new ArgumentException($"Expected {length} packed floats for {bias.Length} output channels; found {packed.Length}.", nameof(packed));
        bias.CopyTo(packed);
        packed[bias.Length..].Clear();
    }

    /// <summary>Blocks of 16 output channels.</summary>
    internal static int OutputBlockCount(int outChannels) => (outChannels + BlockLanes - 1) / BlockLanes;

    /// <summary>
    /// The input channels block <paramref name="block"/> reads: from the first channel of the group of its
    /// first output channel to the last channel of the group of its last output channel.
    /// </summary>
    internal static (int First, int Count) InputChannelRange(int block, int inChannels, int outChannels, int groups)
    {
        int inPerGroup = inChannels / groups;
        int outPerGroup = outChannels / groups;
        int firstGroup = block * BlockLanes / outPerGroup;
        int lastGroup = (Math.Min((block + 1) * BlockLanes, outChannels) - 1) / outPerGroup;
        return (firstGroup * inPerGroup, (lastGroup - firstGroup + 1) * inPerGroup);
    }

    /// <summary>Offset of block <paramref name="block"/>'s weights from the start of the layer's packed weights, in floats.</summary>
    internal static int BlockWeightOffset(int block, int inChannels, int outChannels, int groups)
    {
        int offset = 0;
        for (int b = 0; b < block; b++)
            offset = checked(offset + InputChannelRange(b, inChannels, outChannels, groups).Count * FloatsPerInputChannel);
        return offset;
    }

    /// <exception cref="ArgumentException">The channel counts or groups are not positive, or groups does not divide both.</exception>
    internal static void Validate(int inChannels, int outChannels, int groups)
    {
        if (inChannels <= 0 || outChannels <= 0 || groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException(
                $"A conv3x3 needs positive channel counts divisible by a positive group count; found {inChannels} -> {outChannels} channels in {groups} groups.");
    }
}
