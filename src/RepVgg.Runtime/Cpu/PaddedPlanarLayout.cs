namespace RepVgg.Cpu;

/// <summary>
/// How the CPU engine stores a network input with few channels: one plane per channel with a
/// one-pixel zero border, <c>[C][H + 2][W + 2]</c>. An RGB image in <see cref="ChannelBlockedLayout"/>
/// would be 16 lanes per pixel of which 13 are padding: five times the memory to write when the
/// batch is loaded and to read in the stem.
/// </summary>
/// <param name="Channels">Channels C.</param>
/// <param name="Height">Height H, without the border.</param>
/// <param name="Width">Width W, without the border.</param>
internal readonly unsafe record struct PaddedPlanarLayout(int Channels, int Height, int Width)
{
    /// <summary>Inputs with at most this many channels are loaded as planes when the first layer is direct.</summary>
    public const int MaxChannels = 4;

    /// <summary>Floats of one padded row: W + 2.</summary>
    public long RowFloats => Width + 2;

    /// <summary>Floats of one padded plane: (H + 2) x (W + 2).</summary>
    public long PlaneFloats => (Height + 2) * RowFloats;

    /// <summary>Floats of one image.</summary>
    public long ImageFloats => Channels * PlaneFloats;

    /// <summary>Copies <paramref name="batch"/> NCHW images into this layout at <paramref name="data"/>, borders zeroed.</summary>
    public void Load(ReadOnlySpan<float> images, float* data, int batch)
    {
        int planeLength = Height * Width;
        for (int plane = 0; plane < batch * Channels; plane++)
        {
            float* target = data + plane * PlaneFloats;
            new Span<float>(target, (int)RowFloats).Clear();
            new Span<float>(target + (Height + 1) * RowFloats, (int)RowFloats).Clear();
            for (int y = 0; y < Height; y++)
            {
                float* row = target + (y + 1) * RowFloats;
                row[0] = 0;
                row[Width + 1] = 0;
                images.Slice(plane * planeLength + y * Width, Width).CopyTo(new Span<float>(row + 1, Width));
            }
        }
    }

    /// <summary>Copies <paramref name="batch"/> images out as NCHW.</summary>
    public void CopyTo(float* data, Span<float> nchw, int batch)
    {
        for (int plane = 0; plane < batch * Channels; plane++)
            for (int y = 0; y < Height; y++)
                new ReadOnlySpan<float>(data + plane * PlaneFloats + (y + 1) * RowFloats + 1, Width)
                    .CopyTo(nchw.Slice((plane * Height + y) * Width, Width));
    }
}
