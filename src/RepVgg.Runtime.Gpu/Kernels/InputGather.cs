using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// One column of an implicit GEMM's X (K x N): the 3 x 3 windows of one output pixel over a group's input channels,
/// read from the input (laid out as <typeparamref name="TLayout"/> says) as k asks for them, zero outside the image
/// (the padding). The pixel is decomposed into image, row and column once, when a thread takes the column for the
/// whole K loop. K runs tap-major in every implicit GEMM: a thread finds a tap's window once (<see cref="AtTap"/>) and
/// reads several channels through it.
/// </summary>
internal readonly struct InputGather<TLayout> where TLayout : struct, IActivationLayout
{
    // The input offset of the window's top-left tap (which may lie in the padding) in the group's first channel.
    private readonly int _corner;
    // Bit ky * 3 + kx set where tap (ky, kx) of the window lies inside the image (none past N).
    private readonly int _insideTaps;

    /// <param name="shape">The layer.</param>
    /// <param name="group">The conv group whose input channels K runs over.</param>
    /// <param name="pixel">The GEMM column: image x output pixels; at or past <c>shape.Pixels</c> reads zeros.</param>
    public InputGather(ConvShape shape, int group, int pixel)
    {
        int image = pixel / shape.OutPlane;
        int pixelInImage = pixel - image * shape.OutPlane;
        int outY = pixelInImage / shape.OutWidth;
        int top = outY * shape.Stride - 1;
        int left = (pixelInImage - outY * shape.OutWidth) * shape.Stride - 1;
        var layout = default(TLayout);
        _corner = layout.PixelOffset(image, top, left, shape.InChannels, shape.InHeight, shape.InWidth) +
            group * shape.InPerGroup * layout.ChannelStride(shape.InHeight, shape.InWidth);
        // The inside columns' bits once for each inside row.
        int rows = InsideBits(top, shape.InHeight), columns = InsideBits(left, shape.InWidth);
        _insideTaps = pixel < shape.Pixels ? (rows & 1) * columns | (rows >> 1 & 1) * (columns << 3) | (rows >> 2) * (columns << 6) : 0;
    }

    /// <summary>Bit i set where <paramref name="first"/> + i, i = 0 to 2, lies in [0, <paramref name="length"/>).</summary>
    private static int InsideBits(int first, int length) =>
        ((uint)first < (uint)length ? 1 : 0) | ((uint)(first + 1) < (uint)length ? 2 : 0) | ((uint)(first + 2) < (uint)length ? 4 : 0);

    /// <summary>
    /// Where this column reads tap <paramref name="tap"/> (ky * 3 + kx) of the group's channels (<see cref="Load(ArrayView{float}, ConvShape, TapWindow, int)"/>):
    /// not inside past the 9 taps, past N, or where the window lies in the padding.
    /// </summary>
    public TapWindow AtTap(ConvShape shape, int tap)
    {
        // The corner + ky rows + kx pixels, with kx = tap - 3 ky.
        int ky = TapMajorK.DivideBy3(tap);
        return new TapWindow((_insideTaps >> tap & 1) != 0, _corner + (ky * (shape.InWidth - 3) + tap) * default(TLayout).PixelStride(shape.InChannels));
    }

    /// <summary>X at input channel <paramref name="channel"/> of the group through <paramref name="window"/>; zero outside it or past the group's channels.</summary>
    public static float Load(ArrayView<float> input, ConvShape shape, TapWindow window, int channel) =>
        window.Inside && channel < shape.InPerGroup ? default(TLayout).Load(input, window.Offset + channel * default(TLayout).ChannelStride(shape.InHeight, shape.InWidth)) : 0f;
}

/// <summary>A column's tap: whether it reads the image, and the offset of the group's first channel there.</summary>
internal readonly struct TapWindow(bool inside, int offset)
{
    public readonly bool Inside = inside;
    public readonly int Offset = offset;
}
