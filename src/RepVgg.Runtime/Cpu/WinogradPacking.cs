using System.Runtime.Intrinsics;

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

    /// <summary>
    /// Rows <paramref name="firstRow"/> to <paramref name="firstRow"/> + <paramref name="rows"/> - 1 of a layer's
    /// Winograd packing, from its direct packing (<see cref="Conv3x3Packing"/>): the floats <see cref="PackWeights"/>
    /// writes from the same fused weights, bit for bit, since each lane's kernel goes through the same float64
    /// operations in the same order, 4 lanes to a vector.
    /// </summary>
    /// <remarks>
    /// A row is one (output block, input channel of its range): in the direct layout 9 taps x 16 lanes from
    /// <c>row x 144</c>, in the Winograd one 16 lanes at each point, from <c>point x pointFloats + row x 16</c>, the
    /// rows of every block following one another in both.
    /// </remarks>
    /// <param name="direct">The layer's direct packing, <see cref="Conv3x3Packing.PackedWeightLength(int, int, int)"/> floats.</param>
    /// <param name="packed">The layer's Winograd packing, <see cref="PackedWeightLength"/> floats (9 / points of it per point).</param>
    internal static unsafe void TransformPackedRows(ConvAlgorithm algorithm, float* direct, float* packed, int pointFloats, int firstRow, int rows)
    {
        double[,] g = algorithm == ConvAlgorithm.Winograd2x2 ? Winograd2x2.G : Winograd4x4.G;
        int n = g.GetLength(0);
        // G, and G g per 4 lanes (n x 3 entries of 4 quarters); at most F(4x4)'s 6 x 3.
        Span<double> gs = stackalloc double[n * 3];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < 3; j++)
                gs[i * 3 + j] = g[i, j];
        Span<Vector256<double>> gg = stackalloc Vector256<double>[n * 3];
        for (int row = firstRow; row < firstRow + rows; row++)
        {
            float* taps = direct + (long)row * Conv3x3Packing.FloatsPerInputChannel;
            float* rowOut = packed + (long)row * Conv3x3Packing.BlockLanes;
            for (int quarter = 0; quarter < Conv3x3Packing.BlockLanes; quarter += Vector256<double>.Count)
            {
                // G g: n x 3, as TransformKernel's (g[i, 0] k[j] + g[i, 1] k[3 + j]) + g[i, 2] k[6 + j].
                for (int j = 0; j < 3; j++)
                {
                    Vector256<double> k0 = Widen(taps + j * Conv3x3Packing.BlockLanes + quarter);
                    Vector256<double> k1 = Widen(taps + (3 + j) * Conv3x3Packing.BlockLanes + quarter);
                    Vector256<double> k2 = Widen(taps + (6 + j) * Conv3x3Packing.BlockLanes + quarter);
                    for (int i = 0; i < n; i++)
                        gg[i * 3 + j] = Vector256.Create(gs[i * 3]) * k0 + Vector256.Create(gs[i * 3 + 1]) * k1 + Vector256.Create(gs[i * 3 + 2]) * k2;
                }
                // (G g) G^T: point (i, j) = (gg[i, 0] g[j, 0] + gg[i, 1] g[j, 1]) + gg[i, 2] g[j, 2], rounded to float32.
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                    {
                        Vector256<double> point = gg[i * 3] * Vector256.Create(gs[j * 3]) + gg[i * 3 + 1] * Vector256.Create(gs[j * 3 + 1])
                            + gg[i * 3 + 2] * Vector256.Create(gs[j * 3 + 2]);
                        float* target = rowOut + (long)(i * n + j) * pointFloats + quarter;
                        for (int lane = 0; lane < Vector256<double>.Count; lane++)
                            target[lane] = (float)point.GetElement(lane);
                    }
            }
        }
    }

    /// <summary>Four floats from <paramref name="source"/> as doubles.</summary>
    private static unsafe Vector256<double> Widen(float* source) => Vector256.Create((double)source[0], source[1], source[2], source[3]);

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
