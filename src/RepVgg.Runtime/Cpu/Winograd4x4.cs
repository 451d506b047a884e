using System.Runtime.CompilerServices;

namespace RepVgg.Cpu;

/// <summary>
/// The transforms of Winograd's minimal filtering F(4x4, 3x3) (Lavin and Gray, 2016): a 4 x 4 tile
/// of a stride-1 conv3x3's output from a 6 x 6 tile of its input with 36 multiplications per
/// input/output channel pair instead of 144, <c>Y = A^T [(G g G^T) ⊙ (B^T d B)] A</c>.
/// </summary>
/// <remarks>
/// <para>
/// Interpolation points 0, ±1, ±2, ∞. With them the float32 error of a layer grows to about ten
/// times a direct convolution's (about 1e-6 relative), far inside the 1e-4 the network must keep;
/// F(6x6, 3x3) needs points ±1/2 and errors about a hundred times larger, and wastes most of the
/// 14 x 14 and 7 x 7 layers on padding.
/// </para>
/// <para>
/// The weight transform <c>G g G^T</c> runs once, at build time, in float64
/// (<see cref="WinogradPacking"/>). The input and output transforms run per tile and per 16-channel
/// block, all 16 channels at once in SIMD lanes: the activations' channel-blocked layout puts the 16
/// channels of a pixel in one cache line, so a tile's 36 pixels are 36 vector loads.
/// </para>
/// </remarks>
internal static unsafe class Winograd4x4
{
    /// <summary>Output pixels per tile side.</summary>
    public const int TileSize = 4;

    /// <summary>Input pixels per tile side: the output tile plus the 3 x 3 window's reach.</summary>
    public const int InputTileSize = 6;

    /// <summary>Points of the transformed tile: 6 x 6 products per channel pair.</summary>
    public const int Points = InputTileSize * InputTileSize;

    private const int Lanes = ChannelBlockedLayout.Lanes;

    /// <summary>
    /// <c>G</c>, 6 x 3: the weight transform, <c>U = G g G^T</c>.
    /// </summary>
    public static readonly double[,] G =
    {
        { 1.0 / 4, 0, 0 },
        { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
        { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
        { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
        { 0, 0, 1 },
    };

    /// <summary>
    /// Transforms one 6 x 6 tile of one 16-channel block, <c>V = B^T d B</c>, writing point <c>p</c>
    /// (row-major over the 6 x 6) to <c>transformed + p * pointStride</c> (16 floats each).
    /// </summary>
    /// <param name="tile">The tile's top-left pixel: 16 floats, pixels <see cref="Lanes"/> floats apart in a row.</param>
    /// <param name="rowFloats">Floats between the tile's rows.</param>
    /// <param name="transformed">Where point 0 goes.</param>
    /// <param name="pointStride">Floats between consecutive points.</param>
    [SkipLocalsInit]
    public static void TransformInput<TLanes>(float* tile, long rowFloats, float* transformed, long pointStride)
        where TLanes : struct, ILanes<TLanes>
    {
        // B^T d B in two passes of the 1-D transform: down each column into `columns`, then along each row.
        float* columns = stackalloc float[Points * Lanes];
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

    /// <summary>
    /// Transforms one tile's 36 products of one 16-channel block back, <c>Y = A^T M A</c>, adds the bias,
    /// applies ReLU and stores the top-left <paramref name="rows"/> x <paramref name="columns"/> of the 4 x 4 result.
    /// </summary>
    /// <param name="products">Point 0's 16 floats; point <c>p</c> at <c>products + p * pointStride</c>.</param>
    /// <param name="pointStride">Floats between consecutive points.</param>
    /// <param name="bias">The block's 16 biases.</param>
    /// <param name="output">The tile's top-left output pixel (16 floats); pixels <see cref="Lanes"/> floats apart in a row.</param>
    /// <param name="rowFloats">Floats between output rows.</param>
    /// <param name="rows">Output rows to store, 1 to 4 (fewer at the bottom edge).</param>
    /// <param name="columns">Output columns to store, 1 to 4 (fewer at the right edge).</param>
    [SkipLocalsInit]
    public static void TransformOutput<TLanes>(float* products, long pointStride, float* bias, float* output, long rowFloats, int rows, int columns)
        where TLanes : struct, ILanes<TLanes>
    {
        // A^T M A: down each of the 6 columns into `partial` (4 x 6), then along each of its 4 rows.
        float* partial = stackalloc float[TileSize * InputTileSize * Lanes];
        float* result = stackalloc float[TileSize * Lanes];
        for (int lane = 0; lane < Lanes; lane += TLanes.Count)
        {
            for (int x = 0; x < InputTileSize; x++)
            {
                float* source = products + x * pointStride + lane;
                long down = InputTileSize * pointStride;
                OutputTransform1D(
                    TLanes.Load(source), TLanes.Load(source + down), TLanes.Load(source + 2 * down),
                    TLanes.Load(source + 3 * down), TLanes.Load(source + 4 * down), TLanes.Load(source + 5 * down),
                    TLanes.Zero, partial + x * Lanes + lane, InputTileSize * Lanes);
            }
            TLanes laneBias = TLanes.Load(bias + lane);
            for (int y = 0; y < rows; y++)
            {
                float* source = partial + y * InputTileSize * Lanes + lane;
                OutputTransform1D(
                    TLanes.Load(source), TLanes.Load(source + Lanes), TLanes.Load(source + 2 * Lanes),
                    TLanes.Load(source + 3 * Lanes), TLanes.Load(source + 4 * Lanes), TLanes.Load(source + 5 * Lanes),
                    laneBias, result + lane, Lanes);
                float* target = output + y * rowFloats + lane;
                for (int x = 0; x < columns; x++)
                    TLanes.Store(TLanes.Relu(TLanes.Load(result + x * Lanes + lane)), target + x * Lanes);
            }
        }
    }

    /// <summary>
    /// <c>A^T m + offset</c> for one line of six, stored <paramref name="stride"/> floats apart:
    /// <code>
    /// A^T = | 1  1  1  1  1  0 |
    ///       | 0  1 -1  2 -2  0 |
    ///       | 0  1  1  4  4  0 |
    ///       | 0  1 -1  8 -8  1 |
    /// </code>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransform1D<TLanes>(TLanes m0, TLanes m1, TLanes m2, TLanes m3, TLanes m4, TLanes m5, TLanes offset, float* output, long stride)
        where TLanes : struct, ILanes<TLanes>
    {
        TLanes sum12 = m1 + m2, difference12 = m1 - m2, sum34 = m3 + m4, difference34 = m3 - m4;
        TLanes.Store(offset + m0 + sum12 + sum34, output);
        TLanes.Store(offset + difference12 + difference34 * 2f, output + stride);
        TLanes.Store(offset + sum12 + sum34 * 4f, output + 2 * stride);
        TLanes.Store(offset + difference12 + difference34 * 8f + m5, output + 3 * stride);
    }
}
