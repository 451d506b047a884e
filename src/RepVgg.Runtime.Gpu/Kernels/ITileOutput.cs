namespace RepVgg.Gpu.Kernels;

/// <summary>
/// Where a thread of <see cref="TileGemm"/> writes its results: four consecutive columns of one row of the tile, both
/// counted from the tile's first; the output skips what lies past the edges of M and N.
/// </summary>
internal interface ITileOutput
{
    /// <summary>Tile row <paramref name="row"/>, columns <paramref name="column"/> to <paramref name="column"/> + 3.</summary>
    void Store(int row, int column, Line4 sums);
}
