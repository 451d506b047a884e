namespace RepVgg.Cpu;

/// <summary>
/// How the CPU engine stores one image of activations: channels in blocks of 16 lanes, with a
/// one-pixel zero border, <c>[C/16][H + 2][W + 2][16]</c> (a batch is images one after another).
/// </summary>
/// <remarks>
/// The 16 lanes of a pixel are the 16 output channels one kernel accumulator produces, so a layer
/// stores each result with one vector store, and the next layer broadcasts one input channel of a
/// pixel from a single float. The zero border is the conv's padding of 1: the kernel's inner loop
/// reads the 3 x 3 window without bounds checks, and stride 2 is only a different step.
/// Lanes past <see cref="Channels"/> in the last block are never read as input.
/// </remarks>
/// <param name="Channels">Channels C.</param>
/// <param name="Height">Height H, without the border.</param>
/// <param name="Width">Width W, without the border.</param>
internal readonly unsafe record struct ChannelBlockedLayout(int Channels, int Height, int Width)
{
    /// <summary>Lanes of a channel block.</summary>
    public const int Lanes = Conv3x3Packing.BlockLanes;

    /// <summary>Blocks of 16 channels, the last one possibly partly padding.</summary>
    public int ChannelBlocks => BlocksOf(Channels);

    /// <summary>Blocks of 16 that hold <paramref name="channels"/> channels.</summary>
    public static int BlocksOf(int channels) => (channels + Lanes - 1) / Lanes;

    /// <summary>Rows including the border: H + 2.</summary>
    public int PaddedHeight => Height + 2;

    /// <summary>Pixels per row including the border: W + 2.</summary>
    public int PaddedWidth => Width + 2;

    /// <summary>Floats of one padded row of one channel block.</summary>
    public long RowFloats => (long)PaddedWidth * Lanes;

    /// <summary>Floats of one channel block: (H + 2) x (W + 2) x 16.</summary>
    public long ChannelBlockFloats => PaddedHeight * RowFloats;

    /// <summary>Floats of one image.</summary>
    public long ImageFloats => ChannelBlocks * ChannelBlockFloats;

    /// <summary>
    /// Offset in floats, within one image, of lane 0 of <paramref name="block"/> at padded coordinates
    /// (<paramref name="paddedRow"/>, <paramref name="paddedColumn"/>); the interior starts at (1, 1).
    /// </summary>
    public long Offset(int block, int paddedRow, int paddedColumn) =>
        block * ChannelBlockFloats + paddedRow * RowFloats + (long)paddedColumn * Lanes;

    /// <summary>
    /// Zeroes the one-pixel border of every channel block of <paramref name="batch"/> images at
    /// <paramref name="data"/>: the padding the next layer reads. A layer writes only the interior.
    /// </summary>
    public void ClearBorders(float* data, int batch)
    {
        long lastRow = (PaddedHeight - 1) * RowFloats, lastColumn = (PaddedWidth - 1) * Lanes;
        for (long block = 0; block < batch * (long)ChannelBlocks; block++)
        {
            float* start = data + block * ChannelBlockFloats;
            new Span<float>(start, (int)RowFloats).Clear();
            new Span<float>(start + lastRow, (int)RowFloats).Clear();
            for (int y = 1; y <= Height; y++)
            {
                new Span<float>(start + y * RowFloats, Lanes).Clear();
                new Span<float>(start + y * RowFloats + lastColumn, Lanes).Clear();
            }
        }
    }

    /// <summary>The shape as text, for error messages: <c>C x H x W</c>.</summary>
    public override string ToString() => $"{Channels} x {Height} x {Width}";
}
