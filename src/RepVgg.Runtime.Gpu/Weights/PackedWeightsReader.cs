using RepVgg.Cpu;

namespace RepVgg.Gpu.Weights;

/// <summary>
/// Reads a layer's fused weights back out of the blob, which holds them in the CPU kernels' layouts, as
/// PyTorch's OIHW (outChannels, inChannels / groups, 3, 3): the inverse of <see cref="Conv3x3Packing.PackWeights(ReadOnlySpan{float}, int, int, int, Span{float})"/>
/// for direct layers, a float64 least-squares recovery for Winograd ones.
/// </summary>
internal static class PackedWeightsReader
{
    /// <summary>The OIHW weights of <paramref name="layer"/>, whatever its algorithm.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The layer's weights lie outside the blob.</exception>
    public static float[] ReadOihw(Conv3x3Layer layer, ModelWeights weights)
    {
        int length = Conv3x3Packing.PackedWeightLength(layer.Algorithm, layer.InChannels, layer.OutChannels, layer.Groups);
        ReadOnlySpan<float> packed = weights.Slice(layer.WeightOffset, length);
        return layer.Algorithm == ConvAlgorithm.Direct
            ? UnpackDirect(packed, layer.InChannels, layer.OutChannels, layer.Groups)
            : RecoverFromWinograd(layer.Algorithm, packed, layer.InChannels, layer.OutChannels, layer.Groups);
    }

    /// <summary>The inverse of the <c>cpu-oc16-v1</c> packing: OIHW weights from <paramref name="packed"/>.</summary>
    /// <exception cref="ArgumentException">The shape is invalid or <paramref name="packed"/> has the wrong length.</exception>
    public static float[] UnpackDirect(ReadOnlySpan<float> packed, int inChannels, int outChannels, int groups)
    {
        int expected = Conv3x3Packing.PackedWeightLength(inChannels, outChannels, groups);
        if (packed.Length != expected)
            throw new ArgumentException($"Expected {expected} packed floats (cpu-oc16-v1, {inChannels} -> {outChannels} channels in {groups} groups); found {packed.Length}.", nameof(packed));
        int inPerGroup = inChannels / groups;
        var oihw = new float[outChannels * inPerGroup * 9];
        foreach (var (oc, icInGroup, blockOffset, icInRange, lane) in Entries(inChannels, outChannels, groups))
        {
            for (int tap = 0; tap < 9; tap++)
                oihw[(oc * inPerGroup + icInGroup) * 9 + tap] = packed[blockOffset + (icInRange * 9 + tap) * Conv3x3Packing.BlockLanes + lane];
        }
        return oihw;
    }

    /// <summary>
    /// The 3 x 3 kernels behind Winograd-transformed weights <c>U = G g G^T</c>: <c>g = G+ U G+^T</c> with the
    /// least-squares left inverse <c>G+ = (G^T G)^-1 G^T</c> (G has full column rank, so G+ G = I and the
    /// recovery is exact but for U's float32 rounding), computed in float64 and rounded to float32.
    /// </summary>
    /// <remarks>
    /// Lets a direct kernel run a layer the weights step planned for Winograd. The recovered weights differ from
    /// the fused float32 ones by less than one float32 rounding: relative L2 1.3e-8 to 1.8e-8 for both F(2x2)
    /// and F(4x4), max |error| 6e-8 (measured by <c>PackedWeightsReaderTests</c>), far inside the network's 1e-5.
    /// </remarks>
    /// <exception cref="ArgumentException">The shape is invalid, <paramref name="packed"/> has the wrong length, or the algorithm is not a Winograd one.</exception>
    public static float[] RecoverFromWinograd(ConvAlgorithm algorithm, ReadOnlySpan<float> packed, int inChannels, int outChannels, int groups)
    {
        int expected = WinogradPacking.PackedWeightLength(algorithm, inChannels, outChannels, groups);
        if (packed.Length != expected)
            throw new ArgumentException($"Expected {expected} packed floats ({algorithm}, {inChannels} -> {outChannels} channels in {groups} groups); found {packed.Length}.", nameof(packed));
        double[,] leftInverse = LeftInverse(WeightTransform(algorithm));
        int n = leftInverse.GetLength(1);
        int points = n * n;
        int pointFloats = WinogradPacking.PointFloats(inChannels, outChannels, groups);
        int inPerGroup = inChannels / groups;
        var oihw = new float[outChannels * inPerGroup * 9];
        var transformed = new double[points];
        var half = new double[3 * n]; // G+ U, 3 x n
        foreach (var (oc, icInGroup, blockOffset, icInRange, lane) in Entries(inChannels, outChannels, groups))
        {
            // The point layout is the direct one with the 9 taps taken out: [point][block][icInRange][lane].
            for (int point = 0; point < points; point++)
                transformed[point] = packed[point * pointFloats + blockOffset / 9 + icInRange * Conv3x3Packing.BlockLanes + lane];
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < n; p++) sum += leftInverse[i, p] * transformed[p * n + j];
                    half[i * n + j] = sum;
                }
            }
            int kernel = (oc * inPerGroup + icInGroup) * 9;
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < 3; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < n; p++) sum += half[i * n + p] * leftInverse[j, p];
                    oihw[kernel + i * 3 + j] = (float)sum;
                }
            }
        }
        return oihw;
    }

    /// <summary>The weight transform <c>G</c> (n x 3) of a Winograd algorithm.</summary>
    internal static double[,] WeightTransform(ConvAlgorithm algorithm) => algorithm == ConvAlgorithm.Winograd2x2 ? Winograd2x2.G : Winograd4x4.G;

    /// <summary><c>(G^T G)^-1 G^T</c>, 3 x n, for an n x 3 <paramref name="g"/> of full column rank.</summary>
    internal static double[,] LeftInverse(double[,] g)
    {
        int n = g.GetLength(0);
        var gram = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int p = 0; p < n; p++)
                    gram[i, j] += g[p, i] * g[p, j];
        double[,] inverse = Invert3x3(gram);
        var result = new double[3, n];
        for (int i = 0; i < 3; i++)
            for (int p = 0; p < n; p++)
                for (int j = 0; j < 3; j++)
                    result[i, p] += inverse[i, j] * g[p, j];
        return result;
    }

    /// <summary>The inverse of a symmetric positive-definite 3 x 3 matrix, by cofactors.</summary>
    private static double[,] Invert3x3(double[,] m)
    {
        double c00 = m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1];
        double c01 = m[1, 2] * m[2, 0] - m[1, 0] * m[2, 2];
        double c02 = m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0];
        double determinant = m[0, 0] * c00 + m[0, 1] * c01 + m[0, 2] * c02;
        return new double[,]
        {
            { c00 / determinant, (m[0, 2] * m[2, 1] - m[0, 1] * m[2, 2]) / determinant, (m[0, 1] * m[1, 2] - m[0, 2] * m[1, 1]) / determinant },
            { c01 / determinant, (m[0, 0] * m[2, 2] - m[0, 2] * m[2, 0]) / determinant, (m[0, 2] * m[1, 0] - m[0, 0] * m[1, 2]) / determinant },
            { c02 / determinant, (m[0, 1] * m[2, 0] - m[0, 0] * m[2, 1]) / determinant, (m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]) / determinant },
        };
    }

    /// <summary>
    /// Every (output channel, input channel of its group) pair with where the CPU layouts keep it: the offset of
    /// its block of 16 output channels in the direct layout, the input channel's index in the block's range, the lane.
    /// </summary>
    private static IEnumerable<(int Oc, int IcInGroup, int BlockOffset, int IcInRange, int Lane)> Entries(int inChannels, int outChannels, int groups)
    {
        int inPerGroup = inChannels / groups;
        int outPerGroup = outChannels / groups;
        for (int block = 0; block < Conv3x3Packing.OutputBlockCount(outChannels); block++)
        {
            int firstInput = Conv3x3Packing.InputChannelRange(block, inChannels, outChannels, groups).First;
            int blockOffset = Conv3x3Packing.BlockWeightOffset(block, inChannels, outChannels, groups);
            int lanes = Math.Min(Conv3x3Packing.BlockLanes, outChannels - block * Conv3x3Packing.BlockLanes);
            for (int lane = 0; lane < lanes; lane++)
            {
                int oc = block * Conv3x3Packing.BlockLanes + lane;
                int groupStart = oc / outPerGroup * inPerGroup;
                for (int icInGroup = 0; icInGroup < inPerGroup; icInGroup++)
                    yield return (oc, icInGroup, blockOffset, groupStart + icInGroup - firstInput, lane);
            }
        }
    }
}
