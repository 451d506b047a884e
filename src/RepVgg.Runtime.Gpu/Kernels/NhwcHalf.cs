using ILGPU;
using RepVgg.Gpu.TensorCores;
using Half = ILGPU.Half;

namespace RepVgg.Gpu.Kernels;

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
