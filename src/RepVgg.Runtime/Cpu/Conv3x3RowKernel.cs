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
    /// <summary>Computes <c>ReLU(conv + bias)</c> for every pixel of <paramref name="row"/>.</summary>
    public static void ConvolveRow<TKernel, TStride, TInput>(in Conv3x3Row row)
        where TKernel : struct, IConv3x3TileKernel
        where TStride : struct, IConvStride
        where TInput : struct, IInputLayout
    {
        int width = row.OutputWidth;
        if (width < TKernel.TilePixels)
        {
            for (int x = 0; x < width; x++)
                TKernel.ConvolvePixel<TStride, TInput>(row, x);
            return;
        }

        // The last tile of a row whose width is not a multiple of the tile is moved left to end at
        // the row's end, recomputing a few pixels with the same result instead of a slow tail.
        for (int x = 0; x < width; x += TKernel.TilePixels)
            TKernel.ConvolveTile<TStride, TInput>(row, Math.Min(x, width - TKernel.TilePixels));
    }
}
