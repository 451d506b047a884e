namespace RepVgg.Gpu.Kernels;

/// <summary>
/// The order of channels-last activations, <c>[image][y][x][channel]</c>, which <see cref="NhwcTf32"/> and
/// <see cref="NhwcHalf{TTarget}"/> share (each member as <see cref="IActivationLayout"/>'s).
/// </summary>
internal static class Nhwc
{
    public static int PixelOffset(int image, int y, int x, int channels, int height, int width) => ((image * height + y) * width + x) * channels;

    /// <remarks>Channels last, the batch's pixels are one run: no division.</remarks>
    public static int ColumnOffset(int column, int channels) => column * channels;

    public const int ChannelStride = 1;

    public static int PixelStride(int channels) => channels;
}
