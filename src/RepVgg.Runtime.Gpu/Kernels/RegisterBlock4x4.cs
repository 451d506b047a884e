using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// A thread's 4 x 4 register block: 64 x 64 tiles, 16 k a step. Row i is tile channel 4ty + i, its line columns 4tx to
/// 4tx + 3 (named lines: an array would live in local memory).
/// </summary>
internal struct RegisterBlock4x4 : IRegisterBlock
{
    public Line4 Row0, Row1, Row2, Row3;

    public readonly int Size => GemmTilePolicy.SmallTileSize;

    public readonly int Depth => 16;

    public void MultiplyRow(ArrayView<Line4> weightRows, ArrayView<Line4> inputRows, int k)
    {
        Line4 weights = weightRows[k * 16], inputs = inputRows[k * 16];
        Row0 = Row0.MultiplyAdd(inputs, weights.A0);
        Row1 = Row1.MultiplyAdd(inputs, weights.A1);
        Row2 = Row2.MultiplyAdd(inputs, weights.A2);
        Row3 = Row3.MultiplyAdd(inputs, weights.A3);
    }

    public readonly void Store<TOutput>(in TOutput output, int ty, int tx) where TOutput : struct, ITileOutput
    {
        int row = 4 * ty, column = 4 * tx;
        output.Store(row, column, Row0);
        output.Store(row + 1, column, Row1);
        output.Store(row + 2, column, Row2);
        output.Store(row + 3, column, Row3);
    }
}
