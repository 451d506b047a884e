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
