namespace RepVgg.Gpu.Kernels;

/// <summary>
/// What a thread of <see cref="TileGemm"/> stages each step: its column of the tile's W (K x tile channels) and of its
/// X (K x tile columns of N), rows k to k + 3 (k a multiple of 4); zero past K or past the edges of M and N.
/// </summary>
internal interface ITileOperands
{
    /// <summary>W[k to k + 3, this thread's column of M].</summary>
    Line4 Weights(int k);

    /// <summary>X[k to k + 3, this thread's column of N].</summary>
    Line4 Inputs(int k);
}
