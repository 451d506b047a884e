using RepVgg.Gpu.TensorCores;
using RepVgg.Gpu.Weights;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// The tensor-core weight layout read back in the PTX ISA's terms ("Matrix Fragments for mma.m16n8k8" with .tf32 and
/// "for mma.m16n8k16 with floating point type"): element i of lane (groupID, threadID_in_group) of an A fragment is
/// row groupID (+ 8 for a1 and a3) and column threadID_in_group (+ 4 for a2 and a3) in words. Every fused weight
/// must sit in exactly one such element, rounded by the reference rounding (round-half-away TF32, or .NET's
/// <see cref="Half"/>), at the word its output channel and its (tap, input channel) give, where words t and t + 4 of a
/// word block hold consecutive input channels (so that a B fragment is one read from a channels-last activation);
/// every other word is zero.
/// </summary>
public class MmaWeightLayoutTests
{
    [Theory]
    [InlineData("TF32", 24, 40, 1)] // three channel blocks, the last partial; 3 chunks of 8 channels a tap
    [InlineData("FP16", 24, 40, 1)] // 2 chunks of 16 channels a tap, the second half padding
    [InlineData("TF32", 20, 20, 2)] // groups of 10 -> 10: one partial channel block and 2 chunks (6 padding channels) a group
    [InlineData("FP16", 10, 6, 1)]  // one chunk a tap: 9 word blocks, padded to 10 (5 steps)
    public void Every_weight_lands_once_where_the_ISA_puts_its_fragment_element(string format, int inChannels, int outChannels, int groups)
    {
        var (layout, _, oihw, _) = CompiledModels.SingleLayer(inChannels, outChannels, groups, stride: 1, height: 4, width: 4, ConvAlgorithm.Direct, seed: 11);
        Conv3x3Layer layer = layout.Layers[0];
        int valuesPerWord = format == "TF32" ? 1 : 2;
        uint[] words = format == "TF32"
            ? MmaWeightLayout.FromOihw<Tf32Format<EmulatedTensorCores>>(oihw, layer)
            : MmaWeightLayout.FromOihw<Fp16Format<EmulatedTensorCores>>(oihw, layer);

        int inPerGroup = inChannels / groups, outPerGroup = outChannels / groups;
        int channelsPerWordBlock = 8 * valuesPerWord;
        int chunks = (inPerGroup + channelsPerWordBlock - 1) / channelsPerWordBlock;
        int wordBlocks = (9 * chunks + 1) / 2 * 2;
        int channelBlocks = (outPerGroup + 15) / 16;
        Assert.Equal((long)groups * channelBlocks * wordBlocks * 128, words.Length);

        var seen = new int[oihw.Length];
        int at = 0;
        for (int group = 0; group < groups; group++)
            for (int block = 0; block < channelBlocks; block++)
                for (int wordBlock = 0; wordBlock < wordBlocks; wordBlock++)
                    for (int lane = 0; lane < 32; lane++)
                        for (int element = 0; element < 4; element++, at++)
                        {
                            int groupId = lane >> 2, threadInGroup = lane % 4;
                            int row = groupId + (element % 2 == 1 ? 8 : 0), column = threadInGroup + (element >= 2 ? 4 : 0);
                            int outChannel = block * 16 + row;
                            // Words t and t + 4 of a chunk (a B fragment's two) hold consecutive channels: t's from 2t (TF32) or 4t (FP16), then t + 4's.
                            int pairChannel = column % 4 * 2 * valuesPerWord + (column >= 4 ? valuesPerWord : 0);
                            int tap = wordBlock / chunks, firstInChannel = wordBlock % chunks * 8 * valuesPerWord + pairChannel;
                            for (int half = 0; half < valuesPerWord; half++)
                            {
                                int inChannel = firstInChannel + half;
                                uint bits = valuesPerWord == 1 ? words[at] : (words[at] >> (16 * half)) & 0xFFFF;
                                string where = $"group {group}, channel block {block}, word block {wordBlock}, lane {lane}, a{element}, value {half}";
                                if (outChannel >= outPerGroup || inChannel >= inPerGroup || tap >= 9)
                                {
                                    Assert.True(bits == 0, $"{where}: padding, expected 0, found 0x{bits:X}.");
                                    continue;
                                }
                                int index = ((group * outPerGroup + outChannel) * inPerGroup + inChannel) * 9 + tap;
                                seen[index]++;
                                uint expected = valuesPerWord == 1
                                    ? BitConverter.SingleToUInt32Bits((float)TensorCoreRoundingTests.Tf32Reference(oihw[index]))
                                    : BitConverter.HalfToUInt16Bits((Half)oihw[index]);
                                Assert.True(expected == bits, $"{where}: expected weight {index} ({oihw[index]:R}) as 0x{expected:X}, found 0x{bits:X}.");
                            }
                        }
        Assert.All(seen, count => Assert.Equal(1, count));
    }
}
