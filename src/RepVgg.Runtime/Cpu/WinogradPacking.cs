namespace RepVgg.Cpu;

/// <summary>
/// The build-time packing of a fused stride-1 conv3x3 layer for the Winograd kernels, F(2x2, 3x3)
/// or F(4x4, 3x3): the weights transformed once, in float64, <c>U = G g G^T</c> (see
/// <see cref="IWinogradTransform"/>), and laid out for the products the kernels compute per
/// transformed point.
/// </summary>
/// <remarks>
/// <para>Layouts <c>winograd-f2x2-oc16-v1</c> (16 points) and <c>winograd-f4x4-oc16-v1</c> (36 points):</para>
/// <code>
/// [point][output block][icInRange][oc lane 16]
/// </code>
/// <para>
/// For each point, the output channels' blocks of 16 follow one another as in
/// <see cref="Conv3x3Packing"/>: block <c>b</c> holds the input channels of its groups
/// (<see cref="Conv3x3Packing.InputChannelRange"/>), zero where a lane's group lacks the channel and for
/// lanes past outChannels. At each point a block is then a (icInRange x 16) matrix that multiplies
/// the tiles' transformed inputs. The weights take points / 9 times the floats of the direct layout
/// (16 / 9 or 4): the price of fewer multiplications per output.
/// </para>
/// <para>The bias is packed as for the direct kernels (<see cref="Conv3x3Packing.PackBias"/>).</para>
/// </remarks>
internal static class WinogradPacking
{
    /// <summary>Floats of one point's weights: the direct layout's floats per tap.</summary>
    internal static int PointFloats(int inChannels, int outChannels, int groups) =>
        Conv3x3Packing.PackedWeightLength(inChannels, outChannels, groups) / 9;

    /// <summary>Floats of packed weights for a layer computed by <paramref name="algorithm"/>.</summary>
    /// <exception cref="ArgumentException">
    /// The channel counts or groups are not positive, groups does not divide both, or the algorithm is not a Winograd one.
    /// </exception>
    public static int PackedWeightLength(ConvAlgorithm algorithm, int inChannels, int outChannels, int groups) =>
        checked(Points(algorithm) * PointFloats(inChannels, outChannels, groups));

    /// <summary>
    /// Transforms fused weights <paramref name="oihw"/>, PyTorch layout (outChannels, inChannels / groups, 3, 3),
    /// for <paramref name="algorithm"/>, exactly in float64, and packs them, rounded to float32, into
    /// <paramref name="packed"/> (<see cref="PackedWeightLength"/> floats).
    /// </summary>
    /// <exception cref="ArgumentException">A shape argument is invalid, a span has the wrong length, or the algorithm is not a Winograd one.</exception>
    public static void PackWeights(ConvAlgorithm algorithm, ReadOnlySpan<float> oihw, int inChannels, int outChannels, int groups, Span<float> packed)
    {
        Conv3x3Packing.CheckLengths(oihw.Length, inChannels, outChannels, groups, packed.Length,
            PackedWeightLength(algorithm, inChannels, outChannels, groups));
        double[,] g = algorithm == ConvAlgorithm.Winograd2x2 ? Winograd2x2.G : Winograd4x4.G;
        int points = Points(algorithm);
        int inPerGroup = inChannels / groups;
        int outPerGroup = outChannels / groups;

        packed.Clear();
        int pointFloats = PointFloats(inChannels, outChannels, groups);
        Span<double> transformed = stackalloc double[points];
        for (int block = 0; block < Conv3x3Packing.OutputBlockCount(outChannels); block++)
        {
            var (firstInput, _) = Conv3x3Packing.InputChannelRange(block, inChannels, outChannels, groups);
            int blockOffset = Conv3x3Packing.BlockWeightOffset(block, inChannels, outChannels, groups) / 9;
            int lanes = Math.Min(Conv3x3Packing.BlockLanes, outChannels - block * Conv3x3Packing.BlockLanes);
            for (int lane = 0; lane < lanes; lane++)
            {
                int oc = block * Conv3x3Packing.BlockLanes + lane;
                int groupStart = oc / outPerGroup * inPerGroup;
                for (int icInGroup = 0; icInGroup < inPerGroup; icInGroup++)
                {
                    TransformKernel(g, oihw.Slice((oc * inPerGroup + icInGroup) * 9, 9), transformed);
                    int icInRange = groupStart + icInGroup - firstInput;
                    for (int point = 0; point < points; point++)
                        packed[point * pointFloats + blockOffset + icInRange * Conv3x3Packing.BlockLanes + lane] = (float)transformed[point];
                }
            }
        }
    }

    /// <summary>Transformed points per tile: 16 for F(2x2, 3x3), 36 for F(4x4, 3x3).</summary>
    /// <exception cref="ArgumentException">The algorithm is not a Winograd one.</exception>
    public static int Points(ConvAlgorithm algorithm) => algorithm switch
    {
        ConvAlgorithm.Winograd2x2 => Winograd2x2.Points,
        ConvAlgorithm.Winograd4x4 => Winograd4x4.Points,
        _ => throw new ArgumentException($"{algorithm} is not a Winograd algorithm.", nameof(algorithm)),
    };

    /// <summary><c>G g G^T</c> for one 3 x 3 kernel (row-major), in float64: n x n points, row-major, for an n x 3 <paramref name="g"/>.</summary>
    internal static void TransformKernel(double[,] g, ReadOnlySpan<float> kernel, Span<double> transformed)
    {
        int n = g.GetLength(0);
        Span<double> gg = stackalloc double[n * 3]; // G g, n x 3
        for (int i = 0; i < n; i++)
            for (int j = 0; j < 3; j++)
                gg[i * 3 + j] = g[i, 0] * kernel[j] + g[i, 1] * kernel[3 + j] + g[i, 2] * kernel[6 + j];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                transformed[i * n + j] = gg[i * 3] * g[j, 0] + gg[i * 3 + 1] * g[j, 1] + gg[i * 3 + 2] * g[j, 2];
    }
}
