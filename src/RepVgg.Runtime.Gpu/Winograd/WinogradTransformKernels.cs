using ILGPU;
using RepVgg.Gpu.Kernels;

namespace RepVgg.Gpu.Winograd;

/// <summary>
/// The Winograd transforms of F(2x2, 3x3) and F(4x4, 3x3) (Lavin and Gray, 2016) as ILGPU kernels, one
/// thread per (channel, tile): the input transform <c>V = B^T d B</c> before the batched GEMM and the
/// output transform <c>Y = A^T M A</c>, with bias and ReLU, after it. The matrices are those of the CPU's
/// <c>Winograd2x2</c> and <c>Winograd4x4</c>; point <c>p</c> of a tile is <c>(p / (m + 2), p % (m + 2))</c>,
/// row-major, as in the blob's transformed weights <c>G g G^T</c>.
/// </summary>
/// <remarks>
/// <para>
/// Layouts (T tiles in the batch, see <see cref="WinogradShape"/>): the input and output are NCHW; the
/// transformed inputs are <c>V[point][ic][tile]</c> and the products <c>M[point][oc][tile]</c>, so
/// consecutive threads (consecutive tiles of one channel) write and read consecutive floats, and the
/// GEMM reads a row of tiles for one channel as one coalesced run.
/// </para>
/// <para>
/// Tile (ty, tx) of an image covers output pixels from (m ty, m tx); its (m + 2) x (m + 2) input window
/// starts one pixel up and left, at (m ty - 1, m tx - 1). Pixels outside the image read as zero: the
/// padding of 1 on the top and left, and the tiles that hang over the bottom and right edges. Outputs
/// past the edges are computed and not stored.
/// </para>
/// <para>
/// Each transform runs in two passes of its 1-D transform: down the columns, then along the rows, the
/// intermediate values held in <see cref="Line4"/> and <see cref="Line6"/> registers.
/// </para>
/// </remarks>
internal static class WinogradTransformKernels
{
    /// <summary>F(2x2, 3x3): the 4 x 4 window of tile <c>index % T</c> of input channel <c>index / T</c> into 16 points of V.</summary>
    public static void TransformInput2x2(Index1D index, ArrayView<float> input, ArrayView<float> transformed, WinogradShape shape)
    {
        int tile = index % shape.Tiles, channel = index / shape.Tiles;
        int image = tile / shape.TilesPerImage, inImage = tile % shape.TilesPerImage;
        int top = inImage / shape.TilesX * 2 - 1, left = inImage % shape.TilesX * 2 - 1;
        int plane = (image * shape.InChannels + channel) * shape.Height * shape.Width;

        // B^T d: down each column of the window.
        Line4 c0 = InputTransform(Column4(input, plane, top, left, shape));
        Line4 c1 = InputTransform(Column4(input, plane, top, left + 1, shape));
        Line4 c2 = InputTransform(Column4(input, plane, top, left + 2, shape));
        Line4 c3 = InputTransform(Column4(input, plane, top, left + 3, shape));

        // (B^T d) B: along each row; row i is points 4i to 4i + 3.
        int first = channel * shape.Tiles + tile, pointStride = shape.InChannels * shape.Tiles;
        Store(transformed, first + 0 * pointStride, pointStride, InputTransform(new Line4(c0.A0, c1.A0, c2.A0, c3.A0)));
        Store(transformed, first + 4 * pointStride, pointStride, InputTransform(new Line4(c0.A1, c1.A1, c2.A1, c3.A1)));
        Store(transformed, first + 8 * pointStride, pointStride, InputTransform(new Line4(c0.A2, c1.A2, c2.A2, c3.A2)));
        Store(transformed, first + 12 * pointStride, pointStride, InputTransform(new Line4(c0.A3, c1.A3, c2.A3, c3.A3)));
    }

    /// <summary>F(4x4, 3x3): the 6 x 6 window of tile <c>index % T</c> of input channel <c>index / T</c> into 36 points of V.</summary>
    public static void TransformInput4x4(Index1D index, ArrayView<float> input, ArrayView<float> transformed, WinogradShape shape)
    {
        int tile = index % shape.Tiles, channel = index / shape.Tiles;
        int image = tile / shape.TilesPerImage, inImage = tile % shape.TilesPerImage;
        int top = inImage / shape.TilesX * 4 - 1, left = inImage % shape.TilesX * 4 - 1;
        int plane = (image * shape.InChannels + channel) * shape.Height * shape.Width;

        // B^T d: down each column of the window.
        Line6 c0 = InputTransform(Column6(input, plane, top, left, shape));
        Line6 c1 = InputTransform(Column6(input, plane, top, left + 1, shape));
        Line6 c2 = InputTransform(Column6(input, plane, top, left + 2, shape));
        Line6 c3 = InputTransform(Column6(input, plane, top, left + 3, shape));
        Line6 c4 = InputTransform(Column6(input, plane, top, left + 4, shape));
        Line6 c5 = InputTransform(Column6(input, plane, top, left + 5, shape));

        // (B^T d) B: along each row; row i is points 6i to 6i + 5.
        int first = channel * shape.Tiles + tile, pointStride = shape.InChannels * shape.Tiles;
        Store(transformed, first + 0 * pointStride, pointStride, InputTransform(new Line6(c0.A0, c1.A0, c2.A0, c3.A0, c4.A0, c5.A0)));
        Store(transformed, first + 6 * pointStride, pointStride, InputTransform(new Line6(c0.A1, c1.A1, c2.A1, c3.A1, c4.A1, c5.A1)));
        Store(transformed, first + 12 * pointStride, pointStride, InputTransform(new Line6(c0.A2, c1.A2, c2.A2, c3.A2, c4.A2, c5.A2)));
        Store(transformed, first + 18 * pointStride, pointStride, InputTransform(new Line6(c0.A3, c1.A3, c2.A3, c3.A3, c4.A3, c5.A3)));
        Store(transformed, first + 24 * pointStride, pointStride, InputTransform(new Line6(c0.A4, c1.A4, c2.A4, c3.A4, c4.A4, c5.A4)));
        Store(transformed, first + 30 * pointStride, pointStride, InputTransform(new Line6(c0.A5, c1.A5, c2.A5, c3.A5, c4.A5, c5.A5)));
    }

    /// <summary>
    /// F(2x2, 3x3): the 16 products of tile <c>index % T</c> of output channel <c>index / T</c> back to its
    /// 2 x 2 output pixels, plus the bias, through ReLU.
    /// </summary>
    public static void TransformOutput2x2(Index1D index, ArrayView<float> products, ArrayView<float> bias, ArrayView<float> output, WinogradShape shape)
    {
        int tile = index % shape.Tiles, channel = index / shape.Tiles;
        int first = channel * shape.Tiles + tile, pointStride = shape.OutChannels * shape.Tiles;

        // A^T M: down each of the 4 columns of products.
        Line2 c0 = OutputTransform(Column4(products, first, pointStride, 4));
        Line2 c1 = OutputTransform(Column4(products, first + pointStride, pointStride, 4));
        Line2 c2 = OutputTransform(Column4(products, first + 2 * pointStride, pointStride, 4));
        Line2 c3 = OutputTransform(Column4(products, first + 3 * pointStride, pointStride, 4));

        // (A^T M) A: along each of the 2 rows.
        int image = tile / shape.TilesPerImage, inImage = tile % shape.TilesPerImage;
        int top = inImage / shape.TilesX * 2, left = inImage % shape.TilesX * 2;
        int plane = (image * shape.OutChannels + channel) * shape.Height * shape.Width;
        float channelBias = bias[channel];
        Line2 row0 = OutputTransform(new Line4(c0.A0, c1.A0, c2.A0, c3.A0));
        Line2 row1 = OutputTransform(new Line4(c0.A1, c1.A1, c2.A1, c3.A1));
        StoreRelu(output, plane, top, left, row0.A0 + channelBias, shape);
        StoreRelu(output, plane, top, left + 1, row0.A1 + channelBias, shape);
        StoreRelu(output, plane, top + 1, left, row1.A0 + channelBias, shape);
        StoreRelu(output, plane, top + 1, left + 1, row1.A1 + channelBias, shape);
    }

    /// <summary>
    /// F(4x4, 3x3): the 36 products of tile <c>index % T</c> of output channel <c>index / T</c> back to its
    /// 4 x 4 output pixels, plus the bias, through ReLU.
    /// </summary>
    public static void TransformOutput4x4(Index1D index, ArrayView<float> products, ArrayView<float> bias, ArrayView<float> output, WinogradShape shape)
    {
        int tile = index % shape.Tiles, channel = index / shape.Tiles;
        int first = channel * shape.Tiles + tile, pointStride = shape.OutChannels * shape.Tiles;

        // A^T M: down each of the 6 columns of products.
        Line4 c0 = OutputTransform(Column6(products, first, pointStride, 6));
        Line4 c1 = OutputTransform(Column6(products, first + pointStride, pointStride, 6));
        Line4 c2 = OutputTransform(Column6(products, first + 2 * pointStride, pointStride, 6));
        Line4 c3 = OutputTransform(Column6(products, first + 3 * pointStride, pointStride, 6));
        Line4 c4 = OutputTransform(Column6(products, first + 4 * pointStride, pointStride, 6));
        Line4 c5 = OutputTransform(Column6(products, first + 5 * pointStride, pointStride, 6));

        // (A^T M) A: along each of the 4 rows.
        int image = tile / shape.TilesPerImage, inImage = tile % shape.TilesPerImage;
        int top = inImage / shape.TilesX * 4, left = inImage % shape.TilesX * 4;
        int plane = (image * shape.OutChannels + channel) * shape.Height * shape.Width;
        float channelBias = bias[channel];
        StoreRowBiasRelu(output, plane, top, left, OutputTransform(new Line6(c0.A0, c1.A0, c2.A0, c3.A0, c4.A0, c5.A0)), channelBias, shape);
        StoreRowBiasRelu(output, plane, top + 1, left, OutputTransform(new Line6(c0.A1, c1.A1, c2.A1, c3.A1, c4.A1, c5.A1)), channelBias, shape);
        StoreRowBiasRelu(output, plane, top + 2, left, OutputTransform(new Line6(c0.A2, c1.A2, c2.A2, c3.A2, c4.A2, c5.A2)), channelBias, shape);
        StoreRowBiasRelu(output, plane, top + 3, left, OutputTransform(new Line6(c0.A3, c1.A3, c2.A3, c3.A3, c4.A3, c5.A3)), channelBias, shape);
    }

    /// <summary>
    /// <c>B^T x</c> for F(2x2, 3x3):
    /// <code>
    /// B^T = | 1  0 -1  0 |
    ///       | 0  1  1  0 |
    ///       | 0 -1  1  0 |
    ///       | 0  1  0 -1 |
    /// </code>
    /// </summary>
    private static Line4 InputTransform(Line4 x) => new(x.A0 - x.A2, x.A1 + x.A2, x.A2 - x.A1, x.A1 - x.A3);

    /// <summary>
    /// <c>B^T x</c> for F(4x4, 3x3):
    /// <code>
    /// B^T = | 4  0 -5  0  1  0 |
    ///       | 0 -4 -4  1  1  0 |
    ///       | 0  4 -4 -1  1  0 |
    ///       | 0 -2 -1  2  1  0 |
    ///       | 0  2 -1 -2  1  0 |
    ///       | 0  4  0 -5  0  1 |
    /// </code>
    /// </summary>
    private static Line6 InputTransform(Line6 x)
    {
        float fourX1MinusX3 = 4f * x.A1 - x.A3, x4MinusFourX2 = x.A4 - 4f * x.A2;
        float twoX1MinusTwoX3 = 2f * (x.A1 - x.A3), x4MinusX2 = x.A4 - x.A2;
        return new Line6(
            4f * x.A0 - 5f * x.A2 + x.A4,
            x4MinusFourX2 - fourX1MinusX3,
            x4MinusFourX2 + fourX1MinusX3,
            x4MinusX2 - twoX1MinusTwoX3,
            x4MinusX2 + twoX1MinusTwoX3,
            4f * x.A1 - 5f * x.A3 + x.A5);
    }

    /// <summary><c>A^T m</c> for F(2x2, 3x3): <c>A^T = | 1 1 1 0 | 0 1 -1 -1 |</c>.</summary>
    private static Line2 OutputTransform(Line4 m) => new(m.A0 + m.A1 + m.A2, m.A1 - m.A2 - m.A3);

    /// <summary>
    /// <c>A^T m</c> for F(4x4, 3x3):
    /// <code>
    /// A^T = | 1  1  1  1  1  0 |
    ///       | 0  1 -1  2 -2  0 |
    ///       | 0  1  1  4  4  0 |
    ///       | 0  1 -1  8 -8  1 |
    /// </code>
    /// </summary>
    private static Line4 OutputTransform(Line6 m)
    {
        float sum12 = m.A1 + m.A2, difference12 = m.A1 - m.A2, sum34 = m.A3 + m.A4, difference34 = m.A3 - m.A4;
        return new Line4(m.A0 + sum12 + sum34, difference12 + 2f * difference34, sum12 + 4f * sum34, difference12 + 8f * difference34 + m.A5);
    }

    /// <summary>Input pixel (y, x) of the channel plane at <paramref name="plane"/>; zero outside the image.</summary>
    private static float Pixel(ArrayView<float> input, int plane, int y, int x, WinogradShape shape) =>
        (uint)y < (uint)shape.Height && (uint)x < (uint)shape.Width ? input[plane + y * shape.Width + x] : 0f;

    /// <summary>Four pixels down column <paramref name="x"/> of a window, from row <paramref name="top"/>.</summary>
    private static Line4 Column4(ArrayView<float> input, int plane, int top, int x, WinogradShape shape) =>
        new(Pixel(input, plane, top, x, shape), Pixel(input, plane, top + 1, x, shape),
            Pixel(input, plane, top + 2, x, shape), Pixel(input, plane, top + 3, x, shape));

    /// <summary>Six pixels down column <paramref name="x"/> of a window, from row <paramref name="top"/>.</summary>
    private static Line6 Column6(ArrayView<float> input, int plane, int top, int x, WinogradShape shape) =>
        new(Pixel(input, plane, top, x, shape), Pixel(input, plane, top + 1, x, shape), Pixel(input, plane, top + 2, x, shape),
            Pixel(input, plane, top + 3, x, shape), Pixel(input, plane, top + 4, x, shape), Pixel(input, plane, top + 5, x, shape));

    /// <summary>Four values <paramref name="rowPoints"/> points apart: a column of a tile's points, from <paramref name="first"/>.</summary>
    private static Line4 Column4(ArrayView<float> points, int first, int pointStride, int rowPoints)
    {
        int down = rowPoints * pointStride;
        return new(points[first], points[first + down], points[first + 2 * down], points[first + 3 * down]);
    }

    /// <summary>Six values <paramref name="rowPoints"/> points apart: a column of a tile's points, from <paramref name="first"/>.</summary>
    private static Line6 Column6(ArrayView<float> points, int first, int pointStride, int rowPoints)
    {
        int down = rowPoints * pointStride;
        return new(points[first], points[first + down], points[first + 2 * down],
            points[first + 3 * down], points[first + 4 * down], points[first + 5 * down]);
    }

    /// <summary>A row of four points, <paramref name="pointStride"/> floats apart, from <paramref name="first"/>.</summary>
    private static void Store(ArrayView<float> points, int first, int pointStride, Line4 row)
    {
        points[first] = row.A0;
        points[first + pointStride] = row.A1;
        points[first + 2 * pointStride] = row.A2;
        points[first + 3 * pointStride] = row.A3;
    }

    /// <summary>A row of six points, <paramref name="pointStride"/> floats apart, from <paramref name="first"/>.</summary>
    private static void Store(ArrayView<float> points, int first, int pointStride, Line6 row)
    {
        points[first] = row.A0;
        points[first + pointStride] = row.A1;
        points[first + 2 * pointStride] = row.A2;
        points[first + 3 * pointStride] = row.A3;
        points[first + 4 * pointStride] = row.A4;
        points[first + 5 * pointStride] = row.A5;
    }

    /// <summary>Four output pixels from (y, x) to (y, x + 3), plus the bias, through ReLU; those past the image are dropped.</summary>
    private static void StoreRowBiasRelu(ArrayView<float> output, int plane, int y, int x, Line4 row, float channelBias, WinogradShape shape)
    {
        StoreRelu(output, plane, y, x, row.A0 + channelBias, shape);
        StoreRelu(output, plane, y, x + 1, row.A1 + channelBias, shape);
        StoreRelu(output, plane, y, x + 2, row.A2 + channelBias, shape);
        StoreRelu(output, plane, y, x + 3, row.A3 + channelBias, shape);
    }

    /// <summary>
    /// ReLU(<paramref name="value"/>) (or the value, where a squeeze-and-excitation applies the ReLU) at output pixel
    /// (y, x), unless that is past the image's bottom or right edge.
    /// </summary>
    private static void StoreRelu(ArrayView<float> output, int plane, int y, int x, float value, WinogradShape shape)
    {
        if (y < shape.Height && x < shape.Width)
            output[plane + y * shape.Width + x] = value > shape.ReluFloor ? value : shape.ReluFloor;
    }
}
