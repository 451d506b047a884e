namespace RepVgg.Cpu;

/// <summary>
/// A conv stride as a type, so that each kernel is compiled once per stride with the stride a
/// constant: the offsets between the pixels of a tile become immediate displacements in the
/// broadcast loads instead of multiplications in the innermost loop.
/// </summary>
internal interface IConvStride
{
    /// <summary>The stride, in pixels.</summary>
    static abstract int Value { get; }
}

/// <summary>Stride 1.</summary>
internal readonly struct StrideOne : IConvStride
{
    public static int Value => 1;
}

/// <summary>Stride 2: the first block of each RepVGG stage.</summary>
internal readonly struct StrideTwo : IConvStride
{
    public static int Value => 2;
}

/// <summary>
/// How a direct kernel finds an input channel and the next pixel, as a type, so each kernel is compiled
/// once per input layout with the channel arithmetic constant: channel <c>c</c> of a pixel lies at
/// <c>(c / Lanes) * channel-block stride + c % Lanes</c>, and neighbouring pixels <c>Lanes</c> floats apart.
/// </summary>
internal interface IInputLayout
{
    /// <summary>Channels stored together per pixel: 16 for <see cref="ChannelBlockedLayout"/>, 1 for planes.</summary>
    static abstract int Lanes { get; }
}

/// <summary>Activations in <see cref="ChannelBlockedLayout"/>: every layer's output.</summary>
internal readonly struct BlockedInput : IInputLayout
{
    public static int Lanes => ChannelBlockedLayout.Lanes;
}

/// <summary>
/// The network's input in <see cref="PaddedPlanarLayout"/>, where it has few channels (an RGB image): the
/// stem reads 3 planes instead of 16-lane pixels that are mostly padding.
/// </summary>
internal readonly struct PlanarInput : IInputLayout
{
    public static int Lanes => 1;
}
