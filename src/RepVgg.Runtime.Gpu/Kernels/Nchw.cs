using ILGPU;

namespace RepVgg.Gpu.Kernels;

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

    public int ValuesPerLine => 4;

    public float Load(ArrayView<float> buffer, int index) => buffer[index];

    public void Store(ArrayView<float> buffer, int index, float value) => buffer[index] = value;

    public void StoreFour(ArrayView<float> buffer, int index, Line4 values) => buffer.Cast<Line4>()[index / 4] = values;
}
