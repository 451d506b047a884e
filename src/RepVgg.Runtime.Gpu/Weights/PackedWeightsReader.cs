using RepVgg.Cpu;
using RepVgg.Gpu.Winograd;

namespace RepVgg.Gpu.Weights;

/// <summary>
/// Reads a layer's fused weights back out of the blob, which holds them in the CPU kernels' layouts, as
/// PyTorch's OIHW (outChannels, inChannels / groups, 3, 3): the inverse of <see cref="Conv3x3Packing.PackWeights(ReadOnlySpan{float}, int, int, int, Span{float})"/>,
/// or, for a Winograd layer of a prepacked blob, of its weight transform (the tensor-core kernels run every layer as a
/// direct one). A compact blob holds every layer in the direct layout.
/// </summary>
internal static class PackedWeightsReader
{
    /// <summary>
    /// The OIHW weights of <paramref name="layer"/>: exactly, where the blob holds them in the direct layout; for a
    /// prepacked blob's Winograd layer, recovered from the transformed ones to within a few float32 roundings
    /// (<see cref="UntransformWinograd"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The layer's weights lie outside the blob.</exception>
    public static float[] ReadOihw(Conv3x3Layer layer, ModelWeights weights)
    {
        if (weights.StoredAlgorithm(layer).IsWinograd())
            return UntransformWinograd(layer, weights);
        int length = Conv3x3Packing.PackedWeightLength(layer.InChannels, layer.OutChannels, layer.Groups);
        return UnpackDirect(weights.Slice(layer.WeightOffset, length), layer.InChannels, layer.OutChannels, layer.Groups);
    }

    /// <summary>
    /// A Winograd layer's 3 x 3 kernels from its transformed ones <c>U = G g G^T</c> (n x n, n = 4 or 6): <c>g = P U P^T</c>
    /// with <c>P = (G^T G)^-1 G^T</c>, G's least-squares left inverse, in float64. U is exact but for its float32
    /// rounding, so g comes back within a few float32 roundings of the fused weights.
    /// </summary>
    /// <remarks>
    /// Each kernel as two products, <c>T = U P^T</c> (n x 3) and then <c>P T</c>: 9n + 3n^2 multiply-adds instead of
    /// the 9n^2 of the sum written out, and the input channels in parallel. This runs at <c>Create</c> for every
    /// Winograd layer in TF32 and FP16: RepVGG-B1's took about 7 s of an H200 machine's first call in TF32 before,
    /// one 512-channel layer 650 ms on one core.
    /// </remarks>
    private static float[] UntransformWinograd(Conv3x3Layer layer, ModelWeights weights)
    {
        double[,] transform = layer.Algorithm == ConvAlgorithm.Winograd2x2 ? Winograd2x2.G : Winograd4x4.G;
        double[] inverse = LeftInverse(transform); // P, 3 x side
        int side = transform.GetLength(0), points = side * side;
        var relaid = new float[GpuWinogradWeights.Length(layer)]; // U[point][icInGroup][oc]
        GpuWinogradWeights.Repack(
            weights.Slice(layer.WeightOffset, WinogradPacking.PackedWeightLength(layer.Algorithm, layer.InChannels, layer.OutChannels, layer.Groups)),
            layer, relaid);

        int inPerGroup = layer.InChannels / layer.Groups, outChannels = layer.OutChannels;
        var oihw = new float[outChannels * inPerGroup * 9];
        Parallel.For(0, inPerGroup, ic =>
        {
            Span<double> kernel = stackalloc double[points];
            Span<double> rows = stackalloc double[side * 3]; // T = U P^T
            for (int oc = 0; oc < outChannels; oc++)
            {
                for (int point = 0; point < points; point++)
                    kernel[point] = relaid[(point * inPerGroup + ic) * outChannels + oc];
                for (int a = 0; a < side; a++)
                    for (int x = 0; x < 3; x++)
                    {
                        double sum = 0;
                        for (int b = 0; b < side; b++)
                            sum += kernel[a * side + b] * inverse[x * side + b];
                        rows[a * 3 + x] = sum;
                    }
                int first = (oc * inPerGroup + ic) * 9;
                for (int y = 0; y < 3; y++)
                    for (int x = 0; x < 3; x++)
                    {
                        double sum = 0;
                        for (int a = 0; a < side; a++)
                            sum += inverse[y * side + a] * rows[a * 3 + x];
                        oihw[first + y * 3 + x] = (float)sum;
                    }
            }
        });
        return oihw;
    }

    /// <summary><c>(G^T G)^-1 G^T</c> (3 x n, row-major) of the n x 3 matrix <paramref name="g"/>, whose columns are independent.</summary>
    private static double[] LeftInverse(double[,] g)
    {
        int rows = g.GetLength(0);
        var gram = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int r = 0; r < rows; r++)
                    gram[i, j] += g[r, i] * g[r, j];
        // The inverse of the symmetric 3 x 3 Gram matrix by cofactors.
        var cofactors = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                cofactors[i, j] = gram[(i + 1) % 3, (j + 1) % 3] * gram[(i + 2) % 3, (j + 2) % 3] - gram[(i + 1) % 3, (j + 2) % 3] * gram[(i + 2) % 3, (j + 1) % 3];
        double determinant = gram[0, 0] * cofactors[0, 0] + gram[0, 1] * cofactors[0, 1] + gram[0, 2] * cofactors[0, 2];
        var inverse = new double[3 * rows];
        for (int i = 0; i < 3; i++)
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < 3; j++)
                    inverse[i * rows + r] += cofactors[j, i] / determinant * g[r, j];
        return inverse;
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
