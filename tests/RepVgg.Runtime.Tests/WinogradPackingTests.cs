using RepVgg.Cpu;

namespace RepVgg.Runtime.Tests;

/// <summary>
/// A compact blob's Winograd layers are transformed at Create from their direct packing; the result must be the
/// weights step's own Winograd packing of the same fused weights, float for float (the same float64 operations per
/// kernel, 4 lanes at a time), including its zeros where a lane's group lacks a channel or a block runs past the
/// layer's channels.
/// </summary>
public class WinogradPackingTests
{
    [Theory]
    [InlineData(ConvAlgorithm.Winograd2x2, 16, 16, 1)]
    [InlineData(ConvAlgorithm.Winograd4x4, 5, 17, 1)]   // a block past the last channel
    [InlineData(ConvAlgorithm.Winograd4x4, 48, 48, 3)]  // 16-channel groups, one a block
    [InlineData(ConvAlgorithm.Winograd2x2, 24, 40, 4)]  // groups straddling blocks
    [InlineData(ConvAlgorithm.Winograd4x4, 32, 32, 32)] // depthwise
    [InlineData(ConvAlgorithm.Winograd4x4, 96, 130, 2)] // many rows, several pool items
    public unsafe void Transforming_the_direct_packing_gives_the_weights_steps_Winograd_packing(ConvAlgorithm algorithm, int inChannels, int outChannels, int groups)
    {
        var random = new Random(inChannels * 1000 + outChannels + groups);
        float[] oihw = new float[outChannels * (inChannels / groups) * 9];
        for (int i = 0; i < oihw.Length; i++)
            oihw[i] = (float)(random.NextDouble() * 2 - 1);
        var direct = new float[Conv3x3Packing.PackedWeightLength(inChannels, outChannels, groups)];
        Conv3x3Packing.PackWeights(oihw, inChannels, outChannels, groups, direct);
        var expected = new float[WinogradPacking.PackedWeightLength(algorithm, inChannels, outChannels, groups)];
        WinogradPacking.PackWeights(algorithm, oihw, inChannels, outChannels, groups, expected);

        var transformed = new float[expected.Length];
        int rows = direct.Length / Conv3x3Packing.FloatsPerInputChannel;
        fixed (float* from = direct, to = transformed)
        {
            // In two calls, as the pool splits a layer's rows between items.
            WinogradPacking.TransformPackedRows(algorithm, from, to, direct.Length / 9, 0, rows / 2);
            WinogradPacking.TransformPackedRows(algorithm, from, to, direct.Length / 9, rows / 2, rows - rows / 2);
        }

        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(transformed[i]) || expected[i] == 0 && transformed[i] == 0,
                $"float {i}: the weights step packs {expected[i]:R}, the transform gives {transformed[i]:R}.");
    }
}
