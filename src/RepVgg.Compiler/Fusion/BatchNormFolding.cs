using RepVgg.Compiler.Architecture;

namespace RepVgg.Compiler.Fusion;

/// <summary>
/// Structural re-parameterization (RepVGG paper, eq. 3): each branch's BatchNorm folds into
/// its kernel, W' = W * gamma / sqrt(var + eps) and b' = beta - mean * gamma / sqrt(var + eps);
/// the 1x1 kernel is zero-padded to 3x3 at the centre, the identity is a 3x3 kernel with 1 at the
/// centre of input channel (i mod channels-per-group) for output channel i; the fused conv is the
/// sum. All in float64.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>The conv3x3 with bias equivalent to <paramref name="block"/> (before its ReLU).</summary>
    public static FusedConv Fuse(RepVggBlock block)
    {
        if (block.Deployed is not null) return block.Deployed;

        int perGroup = block.InChannels / block.Groups;
        var weight = new double[block.OutChannels * perGroup * 9];
        var bias = new double[block.OutChannels];
        if (block.Dense is { } dense) AddConvBranch(dense, perGroup, weight, bias);
        if (block.Pointwise is { } pointwise) AddConvBranch(pointwise, perGroup, weight, bias);
        if (block.Identity is { } identity)
        {
            for (int o = 0; o < block.OutChannels; o++)
            {
                double scale = Scale(identity, o);
                weight[(o * perGroup + o % perGroup) * 9 + 4] += scale;
                bias[o] += Shift(identity, o, scale);
            }
        }
        return new FusedConv(block.InChannels, block.OutChannels, block.Groups, weight, bias);
    }

    /// <summary>Adds a conv + BN branch, its kernel centred in the 3x3 window, into the fused weight and bias.</summary>
    private static void AddConvBranch(ConvBatchNorm branch, int perGroup, double[] weight, double[] bias)
    {
        int k = branch.KernelSize;
        int offset = (3 - k) / 2; // 1x1 lands on the centre tap (1, 1)
        for (int o = 0; o < branch.Norm.Channels; o++)
        {
            double scale = Scale(branch.Norm, o);
            for (int i = 0; i < perGroup; i++)
            {
                for (int y = 0; y < k; y++)
                {
                    for (int x = 0; x < k; x++)
                    {
                        weight[((o * perGroup + i) * 3 + y + offset) * 3 + x + offset] +=
                            branch.Weight[((o * perGroup + i) * k + y) * k + x] * scale;
                    }
                }
            }
            bias[o] += Shift(branch.Norm, o, scale);
        }
    }

    /// <summary>gamma / sqrt(var + eps) of channel <paramref name="c"/>.</summary>
    private static double Scale(BatchNorm bn, int c) => bn.Gamma[c] / Math.Sqrt(bn.RunningVar[c] + bn.Eps);

    /// <summary>beta - mean * gamma / sqrt(var + eps) of channel <paramref name="c"/>.</summary>
    private static double Shift(BatchNorm bn, int c, double scale) => bn.Beta[c] - bn.RunningMean[c] * scale;
}
