using ILGPU;
using RepVgg.Gpu.TensorCores;
using Half = ILGPU.Half;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// How an engine's activations (images x channels x height x width) lie in its device buffers: the order of their
/// values and the values' format. Implemented by empty structs, so a kernel generic over the layout is compiled once
/// per layout with every index folded in. The float32 engine keeps NCHW (<see cref="Nchw"/>): its GEMMs run N along a
/// plane, so their loads and stores are coalesced. The tensor-core engines keep channels last, where the channels a
/// thread stages for an mma at one tap of its pixel lie side by side, each in the format its mma reads them in: TF32
/// values as float32 (<see cref="NhwcTf32"/>), FP16 as halves (<see cref="NhwcHalf{TTarget}"/>).
/// </summary>
/// <remarks>
/// The buffers are views of floats whatever the format, indexed in values: a half-precision layout reads them as
/// halves, two to a float.
/// </remarks>
internal interface IActivationLayout
{
    /// <summary>Values per 16-byte load: 4 float32 values, or 8 halves.</summary>
    int ValuesPerLine { get; }

    /// <summary>Value <paramref name="index"/> of <paramref name="buffer"/>, as float32 (exact).</summary>
    float Load(ArrayView<float> buffer, int index);

    /// <summary>Stores <paramref name="value"/> as value <paramref name="index"/> of <paramref name="buffer"/>, rounded to the layout's format.</summary>
    void Store(ArrayView<float> buffer, int index, float value);

    /// <summary>
    /// Stores <paramref name="values"/> as values <paramref name="index"/> to <paramref name="index"/> + 3 (a multiple of 4) of
    /// <paramref name="buffer"/> with one store, rounded to the layout's format.
    /// </summary>
    void StoreFour(ArrayView<float> buffer, int index, Line4 values);

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

    public int ValuesPerLine => 4;

    public float Load(ArrayView<float> buffer, int index) => buffer[index];

    public void Store(ArrayView<float> buffer, int index, float value) => buffer[index] = value;

    public void StoreFour(ArrayView<float> buffer, int index, Line4 values) => buffer.Cast<Line4>()[index / 4] = values;
}

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

/// <summary>
/// Channels last (<see cref="Nhwc"/>) in IEEE half precision: the FP16 engine's activations. Its mma rounds
/// every activation it reads to half anyway, so storing them rounded changes no product; it halves their traffic, and
/// the tensor-core kernel stages them as they lie, without converting. Each output is rounded once, in the epilogue
/// that writes it, with the conversion of <typeparamref name="TTarget"/> (the GPU's <c>cvt.rn.f16.f32</c>, or its
/// emulation on ILGPU's CPU accelerator, <see cref="TensorCoreRounding.ToHalf"/>).
/// </summary>
internal readonly struct NhwcHalf<TTarget> : IActivationLayout
    where TTarget : struct, ITensorCoreTarget
{
    public int PixelOffset(int image, int y, int x, int channels, int height, int width) => Nhwc.PixelOffset(image, y, x, channels, height, width);

    public int ColumnOffset(int column, int channels, int plane) => Nhwc.ColumnOffset(column, channels);

    public int ChannelStride(int height, int width) => Nhwc.ChannelStride;

    public int PixelStride(int channels) => Nhwc.PixelStride(channels);

    public int ValuesPerLine => 8;

    public float Load(ArrayView<float> buffer, int index) => default(TTarget).UsesPtx
        ? (float)buffer.Cast<Half>()[index]
        : TensorCoreRounding.HalfToFloat(buffer.Cast<ushort>()[index]);

    public void Store(ArrayView<float> buffer, int index, float value) => buffer.Cast<ushort>()[index] = (ushort)ToHalf(value);

    public void StoreFour(ArrayView<float> buffer, int index, Line4 values) =>
        buffer.Cast<ulong>()[index / 4] = ToHalf(values.A0) | ToHalf(values.A1) << 16 | ToHalf(values.A2) << 32 | ToHalf(values.A3) << 48;

    /// <summary>The half-precision bits of <paramref name="value"/>, by the target's conversion.</summary>
    private static ulong ToHalf(float value) => default(TTarget).UsesPtx ? Interop.FloatAsInt((Half)value) : TensorCoreRounding.ToHalf(value);
}
