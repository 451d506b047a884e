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
/// K runs tap-major, as in the float32 kernel's <see cref="TapQuadWeightLayout"/> (OIHW's is <c>icInGroup * 9 + tap</c>): word block <c>tap * chunks + chunk</c>
/// holds tap (ky * 3 + kx) of a chunk of 8 (TF32) or 16 (FP16) consecutive input channels, word j the chunk's channel
/// j (TF32) or channels 2j and 2j + 1 (FP16). So all the words of a word block read the input at one tap, and the
/// kernel tests the padding and computes the address once per word block, not once per word. Each tap's channels are
/// padded with zeros to whole chunks (none for RepVGG's channel counts, multiples of 16), and the word blocks to whole
/// steps (two word blocks).
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

    /// <summary>Taps of a 3 x 3 kernel.</summary>
    public const int Taps = 9;

    /// <summary>Channel blocks of a conv group with <paramref name="outPerGroup"/> output channels.</summary>
    public static int ChannelBlocks(int outPerGroup) => (outPerGroup + BlockChannels - 1) / BlockChannels;

    /// <summary>Chunks of input channels per tap, each one word block: <paramref name="inPerGroup"/> over 8 words of <paramref name="valuesPerWord"/>, rounded up.</summary>
    public static int ChunksPerTap(int inPerGroup, int valuesPerWord) => (inPerGroup + BlockWords * valuesPerWord - 1) / (BlockWords * valuesPerWord);

    /// <summary>Steps of the kernel's K loop: the word blocks of the 9 taps, two a step, rounded up.</summary>
    public static int Steps(int inPerGroup, int valuesPerWord) => (Taps * ChunksPerTap(inPerGroup, valuesPerWord) + BlocksPerStep - 1) / BlocksPerStep;

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
        int channelBlocks = ChannelBlocks(outPerGroup), chunks = ChunksPerTap(inPerGroup, valuesPerWord);
        int wordBlocks = Steps(inPerGroup, valuesPerWord) * BlocksPerStep;
        var words = new uint[Length(layer, valuesPerWord)];

        // W of output channel m of the group at input channel c and tap; zero past M, the group's channels or the taps.
        float Weight(int group, int m, int c, int tap) =>
            m < outPerGroup && c < inPerGroup && tap < Taps ? oihw[((group * outPerGroup + m) * inPerGroup + c) * Taps + tap] : 0f;
        // Word j of word block wordBlock for output channel m.
        uint Word(int group, int wordBlock, int j, int m)
        {
            int tap = wordBlock / chunks, c = (wordBlock % chunks * BlockWords + j) * valuesPerWord;
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
