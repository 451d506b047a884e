namespace RepVgg.Gpu.Kernels;

/// <summary>
/// One 16-byte load per 4 float32 or 8 half channels: for groups of a multiple of that many input channels
/// (<see cref="Of"/>), every RepVGG layer past the stem.
/// </summary>
internal readonly struct VectorReads : IChannelReads
{
    public bool Vector => true;

    /// <summary>
    /// Whether a layer's loads can be vectors: its groups' channels a multiple of a 16-byte line's
    /// <paramref name="valuesPerLine"/> keep them aligned and whole within a group.
    /// </summary>
    public static bool Of(ConvShape shape, int valuesPerLine) => shape.InPerGroup % valuesPerLine == 0;
}
