using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;

namespace RepVgg.Gpu.Weights;

/// <summary>
/// The tensor-core kernel's weight layout (<see cref="Conv3x3MmaKernel"/>): each conv group's W (K x M) rounded to
/// the format, packed into 32-bit words (<see cref="ITensorCoreFormat.Pack"/>: one TF32 value, or two FP16 values of
/// consecutive input channels), and ordered as the lanes of a warp hold them as mma A fragments,
/// <c>[group][channel block][word block][lane][a0, a1, a2, a3]</c>. A channel block is 16 output channels (an mma's
/// rows), a word block 8 words of k (an mma's depth), so each (channel block, word block) is one A fragment, 128
/// words. Lane <c>4 g + t</c> holds words t (a0, a1) and t + 4 (a2, a3) of channels g (a0, a2) and g + 8 (a1, a3), as
/// the PTX ISA lays out the A fragments of m16n8k8 (TF32) and m16n8k16 (FP16).
/// </summary>
/// <remarks>
/// <para>
/// K runs tap-major (<see cref="TapMajorK"/>; OIHW's is <c>icInGroup * 9 + tap</c>), each tap's input channels padded
/// with zeros to a multiple of a word block's 8 (TF32) or 16 (FP16) values (none for RepVGG's channel counts, multiples
/// of 16), so all the words of a word block read the input at one tap, and the kernel tests the padding and computes
/// the address once per word block, not once per word. Within a word block, words t and t + 4 (t = 0 to 3), which a
/// lane holds together in a B fragment, hold consecutive channels (<see cref="WordChannel"/>): word t the
/// <c>valuesPerWord</c> channels from <c>2 t valuesPerWord</c>, word t + 4 the next. So a B fragment is 2 (TF32) or 4
/// (FP16) channels side by side in the channels-last activation, read with one load; the mma sums over its k in any
/// order, so only A and B must agree. K is padded with zeros to whole steps (two word blocks).
/// </para>
/// <para>
/// The kernel copies a step's fragments into shared memory as they are, 16 bytes a thread at a time, and each lane
/// reads its whole fragment with one 16-byte load: the weights need no rounding, packing or rearranging on the
/// device. M is padded with zeros to whole channel blocks, so the copies need no edge tests.
/// </para>
/// </remarks>
internal static class MmaWeightLayout
{
    /// <summary>Output channels per channel block: the rows of one mma.</summary>
    public const int BlockChannels = 16;

    /// <summary>Words of k per word block: the depth of one mma.</summary>
    public const int BlockWords = 8;

    /// <summary>Word blocks per step of the kernel's K loop.</summary>
    public const int BlocksPerStep = 2;

    /// <summary>Words per lane and fragment.</summary>
    public const int LaneWords = 4;

    /// <summary>Words of one fragment, one (channel block, word block): 32 lanes x 4.</summary>
    public const int FragmentWords = 32 * LaneWords;

    /// <summary>Input channels of the pair of words t and t + 4 of a word block: a B fragment's channels.</summary>
    public static int PairChannels(int valuesPerWord) => 2 * valuesPerWord;

    /// <summary>The first input channel of word <paramref name="word"/> (0 to 7) of a word block, from the block's first.</summary>
    public static int WordChannel(int word, int valuesPerWord) => word % 4 * PairChannels(valuesPerWord) + word / 4 * valuesPerWord;

    /// <summary>Channel blocks of a conv group with <paramref name="outPerGroup"/> output channels.</summary>
    public static int ChannelBlocks(int outPerGroup) => (outPerGroup + BlockChannels - 1) / BlockChannels;

    /// <summary>Input channels per tap in K: <paramref name="inPerGroup"/> rounded up to whole word blocks of <paramref name="valuesPerWord"/>.</summary>
    public static int ChannelsPerTap(int inPerGroup, int valuesPerWord) => TapMajorK.PaddedChannels(inPerGroup, BlockWords * valuesPerWord);

    /// <summary>Steps of the kernel's K loop: the word blocks of the 9 taps, two a step, rounded up.</summary>
    public static int Steps(int inPerGroup, int valuesPerWord)
    {
        int kPerStep = BlocksPerStep * BlockWords * valuesPerWord;
        return (TapMajorK.Taps * ChannelsPerTap(inPerGroup, valuesPerWord) + kPerStep - 1) / kPerStep;
    }

    /// <summary>Words of a layer's weights in this layout.</summary>
    public static long Length(Conv3x3Layer layer, int valuesPerWord) =>
        (long)layer.Groups * ChannelBlocks(layer.OutChannels / layer.Groups) * Steps(layer.InChannels / layer.Groups, valuesPerWord) * BlocksPerStep * FragmentWords;

    /// <summary>
    /// Rounds and rearranges OIHW (outChannels, inChannels / groups, 3, 3) weights into this layout, in
    /// <typeparamref name="TFormat"/> (the <see cref="EmulatedTensorCores"/> one: the same rounding, in integer
    /// arithmetic, as the GPU's conversions).
    /// </summary>
    public static uint[] FromOihw<TFormat>(float[] oihw, Conv3x3Layer layer) where TFormat : struct, ITensorCoreFormat
    {
        var format = default(TFormat);
        int valuesPerWord = format.ValuesPerWord;
        int outPerGroup = layer.OutChannels / layer.Groups, inPerGroup = layer.InChannels / layer.Groups;
        int channelBlocks = ChannelBlocks(outPerGroup), channelsPerTap = ChannelsPerTap(inPerGroup, valuesPerWord);
        int wordBlocks = Steps(inPerGroup, valuesPerWord) * BlocksPerStep;
        var words = new uint[Length(layer, valuesPerWord)];

        // W of output channel m of the group at input channel c and tap; zero past M, the group's channels or the taps.
        float Weight(int group, int m, int c, int tap) =>
            m < outPerGroup && c < inPerGroup && tap < TapMajorK.Taps ? oihw[((group * outPerGroup + m) * inPerGroup + c) * TapMajorK.Taps + tap] : 0f;
        // Word j of word block wordBlock for output channel m: its k and, in FP16, the next.
        uint Word(int group, int wordBlock, int j, int m)
        {
            int k = wordBlock * BlockWords * valuesPerWord + WordChannel(j, valuesPerWord), tap = k / channelsPerTap, c = k % channelsPerTap;
            return format.Pack(Weight(group, m, c, tap), valuesPerWord == 2 ? Weight(group, m, c + 1, tap) : 0f);
        }

        int at = 0;
        for (int group = 0; group < layer.Groups; group++)
            for (int block = 0; block < channelBlocks; block++)
                for (int wordBlock = 0; wordBlock < wordBlocks; wordBlock++)
                    for (int lane = 0; lane < 32; lane++)
                    {
                        int m = block * BlockChannels + lane / 4, j = lane % 4;
                        words[at++] = Word(group, wordBlock, j, m);
                        words[at++] = Word(group, wordBlock, j, m + 8);
                        words[at++] = Word(group, wordBlock, j + 4, m);
                        words[at++] = Word(group, wordBlock, j + 4, m + 8);
                    }
        return words;
    }
}
