using ILGPU;

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
