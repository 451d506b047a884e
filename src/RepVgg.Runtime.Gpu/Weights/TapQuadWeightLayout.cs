using RepVgg.Gpu.Kernels;

namespace RepVgg.Gpu.Weights;

/// <summary>
/// The float32 implicit GEMM's weight layout (<see cref="Kernels.Conv3x3GemmKernel"/>):
/// <c>[group][quad][m = ocInGroup][4]</c>, each group's W (K x M) in quads of 4 consecutive k per output channel, with K
/// running tap-major (<see cref="TapMajorK"/>), each tap's input channels padded with zeros to a multiple of 4 (none for
/// RepVGG's channel counts past the stem).
/// </summary>
/// <remarks>
/// A kernel thread stages 4 consecutive k of one output channel per step: here one 16-byte load, and a warp's 32
/// consecutive channels read 512 consecutive bytes. As the 4 k of a quad are 4 channels at one tap, the thread reads
/// the 4 matching input values through one window of the image: one test of the padding and one address for all four.
/// </remarks>
internal static class TapQuadWeightLayout
{
    /// <summary>k per quad.</summary>
    public const int QuadK = 4;

    /// <summary>Input channels per tap in K: <paramref name="inPerGroup"/> rounded up to a multiple of 4.</summary>
    public static int PaddedChannels(int inPerGroup) => TapMajorK.PaddedChannels(inPerGroup, QuadK);

    /// <summary>K in this layout: the 9 taps' padded channels.</summary>
    public static int Reduction(int inPerGroup) => TapMajorK.Taps * PaddedChannels(inPerGroup);

    /// <summary>Floats of a layer's weights in this layout.</summary>
    public static long Length(Conv3x3Layer layer) => (long)Reduction(layer.InChannels / layer.Groups) * layer.OutChannels;

    /// <summary>Rearranges OIHW (outChannels, inChannels / groups, 3, 3) weights into this layout.</summary>
    public static float[] FromOihw(float[] oihw, Conv3x3Layer layer)
    {
        int inPerGroup = layer.InChannels / layer.Groups, outPerGroup = layer.OutChannels / layer.Groups;
        int padded = PaddedChannels(inPerGroup), quads = Reduction(inPerGroup) / QuadK;
        var laidOut = new float[Length(layer)];
        for (int group = 0; group < layer.Groups; group++)
            for (int quad = 0; quad < quads; quad++)
                for (int m = 0; m < outPerGroup; m++)
                    for (int i = 0; i < QuadK; i++)
                    {
                        int k = quad * QuadK + i, tap = k / padded, inChannel = k % padded;
                        if (inChannel < inPerGroup)
                            laidOut[((group * quads + quad) * outPerGroup + m) * QuadK + i] = oihw[((group * outPerGroup + m) * inPerGroup + inChannel) * TapMajorK.Taps + tap];
                    }
        return laidOut;
    }
}
