namespace RepVgg.Gpu.Winograd;

/// <summary>
/// The sizes every Winograd kernel of one layer reads, passed to the kernels by value. The output is cut
/// into m x m tiles, numbered over the whole batch image by image, row by row; the last row and column
/// of tiles may hang over the image's edge.
/// </summary>
internal readonly struct WinogradShape
{
    /// <summary>Input channels, IC.</summary>
    public readonly int InChannels;

    /// <summary>Output channels, OC.</summary>
    public readonly int OutChannels;

    /// <summary>Convolution groups.</summary>
    public readonly int Groups;

    /// <summary>Input channels per group: the GEMM's K.</summary>
    public readonly int InPerGroup;

    /// <summary>Output channels per group: the GEMM's M.</summary>
    public readonly int OutPerGroup;

    /// <summary>Height of the input and, at stride 1 with padding 1, of the output.</summary>
    public readonly int Height;

    /// <summary>Width of the input and of the output.</summary>
    public readonly int Width;

    /// <summary>Tiles along a row of the output: ceil(Width / m).</summary>
    public readonly int TilesX;

    /// <summary>Tiles in one image: ceil(Height / m) x ceil(Width / m).</summary>
    public readonly int TilesPerImage;

    /// <summary>Tiles in the batch, T: the GEMM's N.</summary>
    public readonly int Tiles;

    /// <summary>Transformed points per tile, (m + 2)^2.</summary>
    public readonly int Points;

    /// <summary>The output transform's <c>max(value, ReluFloor)</c>: <see cref="Kernels.ConvShape.ReluFloorOf"/>.</summary>
    public readonly float ReluFloor;

    public WinogradShape(Conv3x3Layer layer, int batch, int tileSize, int points)
    {
        ReluFloor = Kernels.ConvShape.ReluFloorOf(layer);
        InChannels = layer.InChannels;
        OutChannels = layer.OutChannels;
        Groups = layer.Groups;
        InPerGroup = layer.InChannels / layer.Groups;
        OutPerGroup = layer.OutChannels / layer.Groups;
        Height = layer.InHeight;
        Width = layer.InWidth;
        TilesX = (layer.InWidth + tileSize - 1) / tileSize;
        TilesPerImage = (layer.InHeight + tileSize - 1) / tileSize * TilesX;
        // GpuWinogradConvolution checks first that a layer's buffers, and so its tiles, fit in an int.
        Tiles = (int)TileCount(layer, batch, tileSize);
        Points = points;
    }

    /// <summary>Tiles of <paramref name="tileSize"/> x <paramref name="tileSize"/> output pixels in a batch of <paramref name="batch"/>.</summary>
    public static long TileCount(Conv3x3Layer layer, int batch, int tileSize) =>
        (long)batch * ((layer.InHeight + tileSize - 1) / tileSize) * ((layer.InWidth + tileSize - 1) / tileSize);

    /// <summary>Floats of the transformed inputs, <c>V[point][ic][tile]</c>; the products follow them in the workspace.</summary>
    public long TransformedFloats => (long)Points * InChannels * Tiles;

    /// <summary>Floats of the products, <c>M[point][oc][tile]</c>.</summary>
    public long ProductFloats => (long)Points * OutChannels * Tiles;
}
