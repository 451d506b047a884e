namespace RepVgg.Gpu.Weights;

/// <summary>
/// The stem kernel's weight layout on the device (<see cref="Kernels.StemConv3x3Kernel"/>),
/// <c>[group][k = icInGroup * 9 + ky * 3 + kx][m = ocInGroup]</c>: each group's W (K x M) with M contiguous, so
/// consecutive threads copying it into shared memory read consecutive floats. The same floats as OIHW, transposed per group.
/// </summary>
internal static class StemWeightLayout
{
    /// <summary>Rearranges OIHW (outChannels, inChannels / groups, 3, 3) weights into this layout.</summary>
    public static float[] FromOihw(ReadOnlySpan<float> oihw, int inChannels, int outChannels, int groups)
    {
        int inPerGroup = inChannels / groups;
        int outPerGroup = outChannels / groups;
        int reduction = inPerGroup * 9;
        var gemm = new float[oihw.Length];
        for (int oc = 0; oc < outChannels; oc++)
        {
            int group = oc / outPerGroup;
            int m = oc - group * outPerGroup;
            for (int k = 0; k < reduction; k++)
                gemm[(group * reduction + k) * outPerGroup + m] = oihw[oc * reduction + k];
        }
        return gemm;
    }
}
