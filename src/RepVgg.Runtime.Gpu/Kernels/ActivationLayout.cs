namespace RepVgg.Gpu.Kernels;

/// <summary>
/// How an engine's activations (images x channels x height x width) lie in its device buffers. Implemented by empty
/// structs, so a kernel generic over the layout is compiled once per layout with every index folded in. The float32
/// engine keeps NCHW (<see cref="Nchw"/>): its GEMMs run N along a plane, so their loads and stores are coalesced; the
/// tensor-core engines keep channels last (<see cref="Nhwc"/>), where the channels a thread stages for an mma at one
/// tap of its pixel lie side by side.
/// </summary>
internal interface IActivationLayout
{
    /// <summary>
    /// The index of channel 0 at (<paramref name="y"/>, <paramref name="x"/>) of image <paramref name="image"/> in an
    /// activation of <paramref name="channels"/> x <paramref name="height"/> x <paramref name="width"/>. Linear in y
    /// and x, so it may be taken at a window's corner in the padding and stepped from there.
    /// </summary>
    int PixelOffset(int image, int y, int x, int channels, int height, int width);

    /// <summary>
    /// The index of channel 0 at pixel <paramref name="column"/> of the batch (image x <paramref name="plane"/> + pixel of
    /// the image, an implicit GEMM's column) in an activation of <paramref name="channels"/> planes of that size.
    /// </summary>
    int ColumnOffset(int column, int channels, int plane);

    /// <summary>From channel c to c + 1 of a pixel.</summary>
    int ChannelStride(int height, int width);

    /// <summary>From pixel (y, x) to (y, x + 1) of a channel.</summary>
    int PixelStride(int channels);
}

/// <summary>Channel planes: <c>[image][channel][y][x]</c>, as at the API boundary.</summary>
internal readonly struct Nchw : IActivationLayout
{
    public int PixelOffset(int image, int y, int x, int channels, int height, int width) => image * channels * height * width + y * width + x;

    /// <remarks>One division by the run-time plane size (a routine of some twenty instructions) finds the image.</remarks>
    public int ColumnOffset(int column, int channels, int plane)
    {
        int image = column / plane;
        return image * channels * plane + column - image * plane;
    }

    public int ChannelStride(int height, int width) => height * width;

    public int PixelStride(int channels) => 1;
}

/// <summary>Channels last: <c>[image][y][x][channel]</c>.</summary>
internal readonly struct Nhwc : IActivationLayout
{
    public int PixelOffset(int image, int y, int x, int channels, int height, int width) => ((image * height + y) * width + x) * channels;

    /// <remarks>Channels last, the batch's pixels are one run: no division.</remarks>
    public int ColumnOffset(int column, int channels, int plane) => column * channels;

    public int ChannelStride(int height, int width) => 1;

    public int PixelStride(int channels) => channels;
}
