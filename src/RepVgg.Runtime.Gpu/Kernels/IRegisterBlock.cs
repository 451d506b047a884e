using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// A thread's register block in <see cref="TileGemm"/>, which fixes the tile: <see cref="RegisterBlock4x4"/> for
/// 64 x 64 tiles, <see cref="RegisterBlock8x8"/> for 128 x 128. Implemented by structs whose properties are
/// constants, which ILGPU folds into the kernel.
/// </summary>
internal interface IRegisterBlock
{
    /// <summary>Rows (output channels) and columns (of N) of the tile.</summary>
    int Size { get; }

    /// <summary>K per staged step.</summary>
    int Depth { get; }

    /// <summary>
    /// Adds row <paramref name="k"/> of a staged step: <paramref name="weightRows"/> and <paramref name="inputRows"/> start at
    /// the thread's first W line and first X line of row 0, <see cref="Size"/> / 4 lines a row.
    /// </summary>
    void MultiplyRow(ArrayView<Line4> weightRows, ArrayView<Line4> inputRows, int k);

    /// <summary>Writes the block to <paramref name="output"/>, for the thread at (<paramref name="ty"/>, <paramref name="tx"/>) of 16 x 16.</summary>
    void Store<TOutput>(in TOutput output, int ty, int tx) where TOutput : struct, ITileOutput;
}
