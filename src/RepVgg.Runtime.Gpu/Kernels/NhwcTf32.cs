using ILGPU;
using RepVgg.Gpu.TensorCores;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// Channels last (<see cref="Nhwc"/>), each value rounded to TF32 as it is stored (float32 bits whose 13 low
/// mantissa bits are zero): the TF32 engine's activations. Its mma rounds every activation it reads to TF32 anyway, so
/// storing them rounded changes no product, and the tensor-core kernel stages them as they lie, without rounding in its
/// loop. Each output is rounded once, in the epilogue that writes it (<see cref="TensorCoreRounding.RoundToTf32"/>,
/// the same integer arithmetic on every target).
/// </summary>
internal readonly struct NhwcTf32 : IActivationLayout
{
    public int PixelOffset(int image, int y, int x, int channels, int height, int width) => Nhwc.PixelOffset(image, y, x, channels, height, width);

    public int ColumnOffset(int column, int channels, int plane) => Nhwc.ColumnOffset(column, channels);

    public int ChannelStride(int height, int width) => Nhwc.ChannelStride;

    public int PixelStride(int channels) => Nhwc.PixelStride(channels);

    public int ValuesPerLine => 4;

    public float Load(ArrayView<float> buffer, int index) => buffer[index];

    public void Store(ArrayView<float> buffer, int index, float value) => buffer[index] = ToTf32(value);

    public void StoreFour(ArrayView<float> buffer, int index, Line4 values) =>
        buffer.Cast<Line4>()[index / 4] = new Line4(ToTf32(values.A0), ToTf32(values.A1), ToTf32(values.A2), ToTf32(values.A3));

    private static float ToTf32(float value) => Interop.IntAsFloat(TensorCoreRounding.RoundToTf32(value));
}
