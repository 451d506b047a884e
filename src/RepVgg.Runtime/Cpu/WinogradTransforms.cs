using System.Runtime.CompilerServices;

namespace RepVgg.Cpu;

/// <summary>
/// The transforms of one of Winograd's minimal filtering algorithms F(m x m, 3x3) (Lavin and Gray,
/// 2016): an m x m tile of a stride-1 conv3x3's output from an (m + 2) x (m + 2) tile of its input,
/// <c>Y = A^T [(G g G^T) ⊙ (B^T d B)] A</c>, with (m + 2)^2 multiplications per input/output channel
/// pair instead of 9 m^2.
/// </summary>
/// <remarks>
/// <para>
/// The weight transform <c>G g G^T</c> runs once, at build time, in float64
/// (<see cref="WinogradPacking"/>). The input and output transforms run per tile and per 16-channel
/// block, all 16 channels at once in SIMD lanes: the activations' channel-blocked layout puts the 16
/// channels of a pixel in one cache line, so a tile's pixels are one vector load each.
/// </para>
/// <para>
/// Point <c>p</c> of a transformed tile is <c>(p / (m + 2), p % (m + 2))</c>, row-major.
/// </para>
/// </remarks>
internal unsafe interface IWinogradTransform
{
    /// <summary>Output pixels per tile side, m.</summary>
    static abstract int TileSize { get; }

    /// <summary>Input pixels per tile side: the output tile plus the 3 x 3 window's reach, m + 2.</summary>
    static abstract int InputTileSize { get; }

    /// <summary>Points of the transformed tile, (m + 2)^2: products per channel pair.</summary>
    static abstract int Points { get; }

    /// <summary><c>G</c>, (m + 2) x 3: the weight transform.</summary>
    static abstract double[,] G { get; }

    /// <summary>
    /// Transforms one tile of one 16-channel block, <c>V = B^T d B</c>, writing point <c>p</c> to
    /// <c>transformed + p * pointStride</c> (16 floats each).
    /// </summary>
    /// <param name="tile">The tile's top-left pixel: 16 floats, pixels 16 floats apart in a row.</param>
    /// <param name="rowFloats">Floats between the tile's rows.</param>
    /// <param name="transformed">Where point 0 goes.</param>
    /// <param name="pointStride">Floats between consecutive points.</param>
    static abstract void TransformInput<TLanes>(float* tile, long rowFloats, float* transformed, long pointStride)
        where TLanes : struct, ILanes<TLanes>;

    /// <summary>
    /// Transforms one tile's products of one 16-channel block back, <c>Y = A^T M A</c>, adds the bias,
    /// applies ReLU and stores the top-left <paramref name="rows"/> x <paramref name="columns"/> of the m x m result.
    /// </summary>
    /// <param name="products">Point 0's 16 floats; point <c>p</c> at <c>products + p * pointStride</c>.</param>
    /// <param name="pointStride">Floats between consecutive points.</param>
    /// <param name="bias">The block's 16 biases.</param>
    /// <param name="output">The tile's top-left output pixel (16 floats); pixels 16 floats apart in a row.</param>
    /// <param name="rowFloats">Floats between output rows.</param>
    /// <param name="rows">Output rows to store, 1 to m (fewer at the bottom edge).</param>
    /// <param name="columns">Output columns to store, 1 to m (fewer at the right edge).</param>
    /// <param name="relu">Whether ReLU is applied: not for a layer whose squeeze-and-excitation comes before it.</param>
    static abstract void TransformOutput<TLanes>(float* products, long pointStride, float* bias, float* output, long rowFloats, int rows, int columns, bool relu)
        where TLanes : struct, ILanes<TLanes>;
}

/// <summary>
/// F(4x4, 3x3): 36 products per 16 outputs, 2.25 per output instead of 9. Interpolation points
/// 0, ±1, ±2, ∞: the float32 error of a layer grows to about ten times a direct convolution's (about
/// 1e-6 relative), far inside the 1e-4 the network must keep. F(6x6, 3x3) would need points ±1/2,
/// errors about a hundred times larger, and would waste most of a 14 x 14 or 7 x 7 layer on padding.
/// Its transformed weights are 36 / 9 = 4 times the direct ones.
/// </summary>
internal readonly unsafe struct Winograd4x4 : IWinogradTransform
{
    public static int TileSize => 4;

    public static int InputTileSize => 6;

    public static int Points => 36;

    private const int Lanes = ChannelBlockedLayout.Lanes;

    /// <summary><c>G</c>, 6 x 3.</summary>
    public static double[,] G => s_g;

    private static readonly double[,] s_g =
    {
        { 1.0 / 4, 0, 0 },
        { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
        { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
        { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
        { 0, 0, 1 },
    };

    /// <inheritdoc/>
    [SkipLocalsInit]
    public static void TransformInput<TLanes>(float* tile, long rowFloats, float* transformed, long pointStride)
        where TLanes : struct, ILanes<TLanes>
    {
        // B^T d B in two passes of the 1-D transform: down each column into `columns`, then along each row.
        float* columns = stackalloc float[InputTileSize * InputTileSize * Lanes];
        for (int lane = 0; lane < Lanes; lane += TLanes.Count)
        {
            for (int x = 0; x < InputTileSize; x++)
            {
                float* source = tile + x * Lanes + lane;
                InputTransform1D(
                    TLanes.Load(source), TLanes.Load(source + rowFloats), TLanes.Load(source + 2 * rowFloats),
                    TLanes.Load(source + 3 * rowFloats), TLanes.Load(source + 4 * rowFloats), TLanes.Load(source + 5 * rowFloats),
                    columns + x * Lanes + lane, InputTileSize * Lanes);
            }
            for (int y = 0; y < InputTileSize; y++)
            {
                float* source = columns + y * InputTileSize * Lanes + lane;
                InputTransform1D(
                    TLanes.Load(source), TLanes.Load(source + Lanes), TLanes.Load(source + 2 * Lanes),
                    TLanes.Load(source + 3 * Lanes), TLanes.Load(source + 4 * Lanes), TLanes.Load(source + 5 * Lanes),
                    transformed + y * InputTileSize * pointStride + lane, pointStride);
            }
        }
    }

    /// <summary>
    /// <c>B^T x</c> for one line of six, stored <paramref name="stride"/> floats apart:
    /// <code>
    /// B^T = | 4  0 -5  0  1  0 |
    ///       | 0 -4 -4  1  1  0 |
    ///       | 0  4 -4 -1  1  0 |
    ///       | 0 -2 -1  2  1  0 |
    ///       | 0  2 -1 -2  1  0 |
    ///       | 0  4  0 -5  0  1 |
    /// </code>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransform1D<TLanes>(TLanes x0, TLanes x1, TLanes x2, TLanes x3, TLanes x4, TLanes x5, float* output, long stride)
        where TLanes : struct, ILanes<TLanes>
    {
        TLanes fourX1MinusX3 = x1 * 4f - x3, x4MinusFourX2 = x4 - x2 * 4f;
        TLanes twoX1MinusTwoX3 = (x1 - x3) * 2f, x4MinusX2 = x4 - x2;
        TLanes.Store(x0 * 4f - x2 * 5f + x4, output);
        TLanes.Store(x4MinusFourX2 - fourX1MinusX3, output + stride);
        TLanes.Store(x4MinusFourX2 + fourX1MinusX3, output + 2 * stride);
        TLanes.Store(x4MinusX2 - twoX1MinusTwoX3, output + 3 * stride);
        TLanes.Store(x4MinusX2 + twoX1MinusTwoX3, output + 4 * stride);
        TLanes.Store(x1 * 4f - x3 * 5f + x5, output + 5 * stride);
    }

    /// <inheritdoc/>
    [SkipLocalsInit]
    public static void TransformOutput<TLanes>(float* products, long pointStride, float* bias, float* output, long rowFloats, int rows, int columns, bool relu)
        where TLanes : struct, ILanes<TLanes>
    {
        // A^T M A: down each of the 6 columns into `partial` (4 x 6), then along each of its 4 rows.
        float* partial = stackalloc float[TileSize * InputTileSize * Lanes];
        for (int lane = 0; lane < Lanes; lane += TLanes.Count)
        {
            for (int x = 0; x < InputTileSize; x++)
            {
                float* source = products + x * pointStride + lane;
                long down = InputTileSize * pointStride;
                OutputTransform1D(
                    TLanes.Load(source), TLanes.Load(source + down), TLanes.Load(source + 2 * down),
                    TLanes.Load(source + 3 * down), TLanes.Load(source + 4 * down), TLanes.Load(source + 5 * down),
                    out TLanes y0, out TLanes y1, out TLanes y2, out TLanes y3);
                float* column = partial + x * Lanes + lane;
                TLanes.Store(y0, column);
                TLanes.Store(y1, column + InputTileSize * Lanes);
                TLanes.Store(y2, column + 2 * InputTileSize * Lanes);
                TLanes.Store(y3, column + 3 * InputTileSize * Lanes);
            }
            TLanes laneBias = TLanes.Load(bias + lane);
            for (int y = 0; y < rows; y++)
            {
                float* source = partial + y * InputTileSize * Lanes + lane;
                OutputTransform1D(
                    TLanes.Load(source), TLanes.Load(source + Lanes), TLanes.Load(source + 2 * Lanes),
                    TLanes.Load(source + 3 * Lanes), TLanes.Load(source + 4 * Lanes), TLanes.Load(source + 5 * Lanes),
                    out TLanes x0, out TLanes x1, out TLanes x2, out TLanes x3);
                float* target = output + y * rowFloats + lane;
                TLanes.Store(WinogradActivation.Activate(relu, x0 + laneBias), target);
                if (columns > 1) TLanes.Store(WinogradActivation.Activate(relu, x1 + laneBias), target + Lanes);
                if (columns > 2) TLanes.Store(WinogradActivation.Activate(relu, x2 + laneBias), target + 2 * Lanes);
                if (columns > 3) TLanes.Store(WinogradActivation.Activate(relu, x3 + laneBias), target + 3 * Lanes);
            }
        }
    }

    /// <summary>
    /// <c>A^T m</c> for one line of six:
    /// <code>
    /// A^T = | 1  1  1  1  1  0 |
    ///       | 0  1 -1  2 -2  0 |
    ///       | 0  1  1  4  4  0 |
    ///       | 0  1 -1  8 -8  1 |
    /// </code>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransform1D<TLanes>(TLanes m0, TLanes m1, TLanes m2, TLanes m3, TLanes m4, TLanes m5,
        out TLanes y0, out TLanes y1, out TLanes y2, out TLanes y3)
        where TLanes : struct, ILanes<TLanes>
    {
        TLanes sum12 = m1 + m2, difference12 = m1 - m2, sum34 = m3 + m4, difference34 = m3 - m4;
        y0 = m0 + sum12 + sum34;
        y1 = difference12 + difference34 * 2f;
        y2 = sum12 + sum34 * 4f;
        y3 = difference12 + difference34 * 8f + m5;
    }
}

/// <summary>
/// F(2x2, 3x3): 16 products per 4 outputs, 4 per output instead of 9. Interpolation points 0, ±1,
/// ∞: the transforms only add and subtract, and the error stays at a direct convolution's. Its
/// transformed weights are 16 / 9 of the direct ones, less than half F(4x4)'s, and each is used by
/// four times as many tiles: the better choice where a layer's weights, not its arithmetic, bound
/// the time (RepVGG's wide 14 x 14 stages at batch 1, whose F(4x4) weights do not fit in L2).
/// </summary>
internal readonly unsafe struct Winograd2x2 : IWinogradTransform
{
    public static int TileSize => 2;

    public static int InputTileSize => 4;

    public static int Points => 16;

    private const int Lanes = ChannelBlockedLayout.Lanes;

    /// <summary><c>G</c>, 4 x 3.</summary>
    public static double[,] G => s_g;

    private static readonly double[,] s_g =
    {
        { 1, 0, 0 },
        { 0.5, 0.5, 0.5 },
        { 0.5, -0.5, 0.5 },
        { 0, 0, 1 },
    };

    /// <inheritdoc/>
    [SkipLocalsInit]
    public static void TransformInput<TLanes>(float* tile, long rowFloats, float* transformed, long pointStride)
        where TLanes : struct, ILanes<TLanes>
    {
        // B^T d B: down each column into `columns`, then along each row.
        float* columns = stackalloc float[16 * Lanes];
        for (int lane = 0; lane < Lanes; lane += TLanes.Count)
        {
            for (int x = 0; x < 4; x++)
            {
                float* source = tile + x * Lanes + lane;
                InputTransform1D(TLanes.Load(source), TLanes.Load(source + rowFloats), TLanes.Load(source + 2 * rowFloats),
                    TLanes.Load(source + 3 * rowFloats), columns + x * Lanes + lane, 4 * Lanes);
            }
            for (int y = 0; y < 4; y++)
            {
                float* source = columns + y * 4 * Lanes + lane;
                InputTransform1D(TLanes.Load(source), TLanes.Load(source + Lanes), TLanes.Load(source + 2 * Lanes),
                    TLanes.Load(source + 3 * Lanes), transformed + y * 4 * pointStride + lane, pointStride);
            }
        }
    }

    /// <summary>
    /// <c>B^T x</c> for one line of four, stored <paramref name="stride"/> floats apart:
    /// <code>
    /// B^T = | 1  0 -1  0 |
    ///       | 0  1  1  0 |
    ///       | 0 -1  1  0 |
    ///       | 0  1  0 -1 |
    /// </code>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransform1D<TLanes>(TLanes x0, TLanes x1, TLanes x2, TLanes x3, float* output, long stride)
        where TLanes : struct, ILanes<TLanes>
    {
        TLanes.Store(x0 - x2, output);
        TLanes.Store(x1 + x2, output + stride);
        TLanes.Store(x2 - x1, output + 2 * stride);
        TLanes.Store(x1 - x3, output + 3 * stride);
    }

    /// <inheritdoc/>
    [SkipLocalsInit]
    public static void TransformOutput<TLanes>(float* products, long pointStride, float* bias, float* output, long rowFloats, int rows, int columns, bool relu)
        where TLanes : struct, ILanes<TLanes>
    {
        for (int lane = 0; lane < Lanes; lane += TLanes.Count)
        {
            // A^T M: the two output rows as combinations of the four product rows, one column at a time.
            float* source = products + lane;
            long down = 4 * pointStride;
            TLanes top0 = Top<TLanes>(source, down), top1 = Top<TLanes>(source + pointStride, down);
            TLanes top2 = Top<TLanes>(source + 2 * pointStride, down), top3 = Top<TLanes>(source + 3 * pointStride, down);
            TLanes bottom0 = Bottom<TLanes>(source, down), bottom1 = Bottom<TLanes>(source + pointStride, down);
            TLanes bottom2 = Bottom<TLanes>(source + 2 * pointStride, down), bottom3 = Bottom<TLanes>(source + 3 * pointStride, down);

            // (A^T M) A, plus the bias.
            TLanes laneBias = TLanes.Load(bias + lane);
            float* target = output + lane;
            TLanes.Store(WinogradActivation.Activate(relu, laneBias + top0 + top1 + top2), target);
            if (columns > 1) TLanes.Store(WinogradActivation.Activate(relu, laneBias + top1 - top2 - top3), target + Lanes);
            if (rows > 1)
            {
                TLanes.Store(WinogradActivation.Activate(relu, laneBias + bottom0 + bottom1 + bottom2), target + rowFloats);
                if (columns > 1) TLanes.Store(WinogradActivation.Activate(relu, laneBias + bottom1 - bottom2 - bottom3), target + rowFloats + Lanes);
            }
        }
    }

    /// <summary>
    /// Row 0 of <c>A^T m</c> for the column of four products at <paramref name="column"/>, <paramref name="down"/> floats apart:
    /// <c>m0 + m1 + m2</c>; <c>A^T = | 1 1 1 0 | 0 1 -1 -1 |</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TLanes Top<TLanes>(float* column, long down) where TLanes : struct, ILanes<TLanes> =>
        TLanes.Load(column) + TLanes.Load(column + down) + TLanes.Load(column + 2 * down);

    /// <summary>Row 1 of <c>A^T m</c>: <c>m1 - m2 - m3</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TLanes Bottom<TLanes>(float* column, long down) where TLanes : struct, ILanes<TLanes> =>
        TLanes.Load(column + down) - TLanes.Load(column + 2 * down) - TLanes.Load(column + 3 * down);
}

/// <summary>The output transforms' last step.</summary>
internal static class WinogradActivation
{
    /// <summary>ReLU of <paramref name="value"/> when <paramref name="relu"/>, else the value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLanes Activate<TLanes>(bool relu, TLanes value) where TLanes : struct, ILanes<TLanes> => relu ? TLanes.Relu(value) : value;
}
