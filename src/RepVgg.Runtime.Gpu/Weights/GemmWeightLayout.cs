namespace RepVgg.Gpu.Weights;

/// <summary>
/// The conv kernels' weight layout on the device, <c>[group][k = icInGroup * 9 + ky * 3 + kx][m = ocInGroup]</c>:
/// each group's GEMM operand W (K x M) with M contiguous, so the threads of a warp loading one k row of a
/// tile read consecutive output channels (<see cref="Kernels.Conv3x3GemmKernel"/>). The same floats as OIHW, transposed per group.
/// </summary>
internal static class GemmWeightLayout
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
