using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;

namespace RepVgg.Gpu.Weights;

/// <summary>
/// The tensor-core kernel's weight layout (<see cref="Conv3x3MmaKernel"/>): each conv group's W (K x M) rounded to
/// the format, packed into 32-bit words (<see cref="ITensorCoreFormat.Pack"/>: one TF32 value, or two FP16 values of
/// consecutive k), and ordered as the lanes of a warp hold them as mma A fragments,
/// <c>[group][channel block][word block][lane][a0, a1, a2, a3]</c>. A channel block is 16 output channels (an mma's
/// rows), a word block 8 words of k (an mma's depth), so each (channel block, word block) is one A fragment, 128
/// words. Lane <c>4 g + t</c> holds words t (a0, a2: t + 4) of channels g (a0, a2) and g + 8 (a1, a3), as the PTX ISA
/// lays out the A fragments of m16n8k8 (TF32) and m16n8k16 (FP16).
/// </summary>
/// <remarks>
/// The kernel copies a step's fragments into shared memory as they are, 16 bytes a thread at a time, and each lane
/// reads its whole fragment with one 16-byte load: the weights need no rounding, packing or rearranging on the
/// device. M is padded with zeros to whole channel blocks and K to whole steps (two word blocks), so the copies
/// need no edge tests.
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

    /// <summary>Channel blocks of a conv group with <paramref name="outPerGroup"/> output channels.</summary>
    public static int ChannelBlocks(int outPerGroup) => (outPerGroup + BlockChannels - 1) / BlockChannels;

    /// <summary>Steps of the kernel's K loop for a reduction of <paramref name="reduction"/> k, <paramref name="valuesPerWord"/> values a word.</summary>
    public static int Steps(int reduction, int valuesPerWord)
    {
        int kPerStep = BlocksPerStep * BlockWords * valuesPerWord;
        return (reduction + kPerStep - 1) / kPerStep;
    }

    /// <summary>Words of a layer's weights in this layout.</summary>
    public static long Length(Conv3x3Layer layer, int valuesPerWord) =>
        (long)layer.Groups * ChannelBlocks(layer.OutChannels / layer.Groups) * Steps(layer.InChannels / layer.Groups * 9, valuesPerWord) * BlocksPerStep * FragmentWords;

    /// <summary>
    /// Rounds and rearranges OIHW (outChannels, inChannels / groups, 3, 3) weights into this layout, in
    /// <typeparamref name="TFormat"/> (the <see cref="EmulatedTensorCores"/> one: the same rounding, in integer
    /// arithmetic, as the GPU's conversions).
    /// </summary>
    public static uint[] FromOihw<TFormat>(float[] oihw, Conv3x3Layer layer) where TFormat : struct, ITensorCoreFormat
    {
        var format = default(TFormat);
        int valuesPerWord = format.ValuesPerWord;
        int outPerGroup = layer.OutChannels / layer.Groups;
        int reduction = layer.InChannels / layer.Groups * 9;
        int channelBlocks = ChannelBlocks(outPerGroup);
        int wordBlocks = Steps(reduction, valuesPerWord) * BlocksPerStep;
        var words = new uint[Length(layer, valuesPerWord)];

        // W[k, m] of the group, zero past K or M; OIHW holds it at [group * M + m][k].
        float Weight(int group, int k, int m) =>
            k < reduction && m < outPerGroup ? oihw[(group * outPerGroup + m) * reduction + k] : 0f;
        uint Word(int group, int word, int m) =>
            format.Pack(Weight(group, word * valuesPerWord, m), valuesPerWord == 2 ? Weight(group, word * valuesPerWord + 1, m) : 0f);

        int at = 0;
        for (int group = 0; group < layer.Groups; group++)
            for (int block = 0; block < channelBlocks; block++)
                for (int wordBlock = 0; wordBlock < wordBlocks; wordBlock++)
                    for (int lane = 0; lane < 32; lane++)
                    {
                        int m = block * BlockChannels + lane / 4, word = wordBlock * BlockWords + lane % 4;
                        words[at++] = Word(group, word, m);
                        words[at++] = Word(group, word, m + 8);
                        words[at++] = Word(group, word + 4, m);
                        words[at++] = Word(group, word + 4, m + 8);
                    }
        return words;
    }
}
