using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// A thread's 8 x 8 register block: 128 x 128 tiles, 8 k a step. 16 lines of 4 named floats (an array would live in
/// local memory): row i &lt; 4 is tile channel 4ty + i, row i &gt;= 4 is 64 + 4ty + i - 4; <c>Low</c> lines hold
/// columns 4tx to 4tx + 3 and <c>High</c> lines 64 + 4tx to 64 + 4tx + 3.
/// </summary>
internal struct RegisterBlock8x8 : IRegisterBlock
{
    public Line4 Low0, Low1, Low2, Low3, Low4, Low5, Low6, Low7;
    public Line4 High0, High1, High2, High3, High4, High5, High6, High7;

    public readonly int Size => GemmTilePolicy.LargeTileSize;

    public readonly int Depth => 8;

    public void MultiplyRow(ArrayView<Line4> weightRows, ArrayView<Line4> inputRows, int k)
    {
        int offset = k * 32;
        Line4 weightsLow = weightRows[offset], weightsHigh = weightRows[offset + 16];
        Line4 inputsLow = inputRows[offset], inputsHigh = inputRows[offset + 16];
        Low0 = Low0.MultiplyAdd(inputsLow, weightsLow.A0); High0 = High0.MultiplyAdd(inputsHigh, weightsLow.A0);
        Low1 = Low1.MultiplyAdd(inputsLow, weightsLow.A1); High1 = High1.MultiplyAdd(inputsHigh, weightsLow.A1);
        Low2 = Low2.MultiplyAdd(inputsLow, weightsLow.A2); High2 = High2.MultiplyAdd(inputsHigh, weightsLow.A2);
        Low3 = Low3.MultiplyAdd(inputsLow, weightsLow.A3); High3 = High3.MultiplyAdd(inputsHigh, weightsLow.A3);
        Low4 = Low4.MultiplyAdd(inputsLow, weightsHigh.A0); High4 = High4.MultiplyAdd(inputsHigh, weightsHigh.A0);
        Low5 = Low5.MultiplyAdd(inputsLow, weightsHigh.A1); High5 = High5.MultiplyAdd(inputsHigh, weightsHigh.A1);
        Low6 = Low6.MultiplyAdd(inputsLow, weightsHigh.A2); High6 = High6.MultiplyAdd(inputsHigh, weightsHigh.A2);
        Low7 = Low7.MultiplyAdd(inputsLow, weightsHigh.A3); High7 = High7.MultiplyAdd(inputsHigh, weightsHigh.A3);
    }

    public readonly void Store<TOutput>(in TOutput output, int ty, int tx) where TOutput : struct, ITileOutput
    {
        int row = 4 * ty, low = 4 * tx, high = low + 64;
        output.Store(row, low, Low0); output.Store(row, high, High0);
        output.Store(row + 1, low, Low1); output.Store(row + 1, high, High1);
        output.Store(row + 2, low, Low2); output.Store(row + 2, high, High2);
        output.Store(row + 3, low, Low3); output.Store(row + 3, high, High3);
        output.Store(row + 64, low, Low4); output.Store(row + 64, high, High4);
        output.Store(row + 65, low, Low5); output.Store(row + 65, high, High5);
        output.Store(row + 66, low, Low6); output.Store(row + 66, high, High6);
        output.Store(row + 67, low, Low7); output.Store(row + 67, high, High7);
    }
}
