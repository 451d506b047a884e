namespace RepVgg.Cpu;

/// <summary>
/// A register-tiled conv3x3 + bias + ReLU for one vector width: a tile of <see cref="TilePixels"/>
/// consecutive output pixels of a 16-channel block, or a single pixel. Implemented by structs so
/// <see cref="Conv3x3RowKernel.ConvolveRow"/> is specialised, and inlined, per width by the JIT.
/// </summary>
internal interface IConv3x3TileKernel
{
    /// <summary>Output pixels per register tile.</summary>
    static abstract int TilePixels { get; }

    /// <summary>Pixels [<paramref name="firstPixel"/>, + <see cref="TilePixels"/>) of the row.</summary>
    static abstract void ConvolveTile<TStride, TInput>(in Conv3x3Row row, int firstPixel)
        where TStride : struct, IConvStride
        where TInput : struct, IInputLayout;

    /// <summary>One pixel of the row.</summary>
    static abstract void ConvolvePixel<TStride, TInput>(in Conv3x3Row row, int pixel)
        where TStride : struct, IConvStride
        where TInput : struct, IInputLayout;
}

/// <summary>Covers one output row with a kernel's tiles.</summary>
internal static class Conv3x3RowKernel
{
    /// <summary>
    /// Computes every pixel of <paramref name="row"/>: <c>ReLU(conv + bias)</c>, or the partial sums of its input
    /// channels (<see cref="Conv3x3Row.Accumulate"/>, <see cref="Conv3x3Row.Relu"/>).
    /// </summary>
    public static void ConvolveRow<TKernel, TStride, TInput>(in Conv3x3Row row)
        where TKernel : struct, IConv3x3TileKernel
        where TStride : struct, IConvStride
        where TInput : struct, IInputLayout
    {
        int width = row.OutputWidth;
        int tile = TKernel.TilePixels;
        if (width < tile)
        {
            for (int x = 0; x < width; x++)
                TKernel.ConvolvePixel<TStride, TInput>(row, x);
            return;
        }

        int whole = width / tile * tile;
        for (int x = 0; x < whole; x += tile)
            TKernel.ConvolveTile<TStride, TInput>(row, x);
        if (whole == width)
            return;
        if (row.Accumulate)
        {
            // Partial sums are added to: each pixel exactly once.
            for (int x = whole; x < width; x++)
                TKernel.ConvolvePixel<TStride, TInput>(row, x);
        }
        else
        {
            // From the bias, a recomputed pixel gets the same value: the last tile moves left to end at the
            // row's end instead of a slow tail of single pixels.
            TKernel.ConvolveTile<TStride, TInput>(row, width - tile);
        }
    }
}
