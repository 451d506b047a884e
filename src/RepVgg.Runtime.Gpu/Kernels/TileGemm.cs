using ILGPU;

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

/// <summary>
/// Where a thread of <see cref="TileGemm"/> writes its results: four consecutive columns of one row of the tile, both
/// counted from the tile's first; the output skips what lies past the edges of M and N.
/// </summary>
internal interface ITileOutput
{
    /// <summary>Tile row <paramref name="row"/>, columns <paramref name="column"/> to <paramref name="column"/> + 3.</summary>
    void Store(int row, int column, Line4 sums);
}

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

/// <summary>
/// The float32 GEMM core: a group of 256 threads (16 x 16) computes a square tile of <c>C = W^T X</c> (W is K x M and X
/// is K x N, both with their rows contiguous), each thread a register block of <typeparamref name="TBlock"/>. The
/// implicit-GEMM conv (<see cref="Conv3x3GemmKernel"/>) and the Winograd GEMM (<see cref="Winograd.WinogradGemmKernel"/>)
/// differ only in where their operands come from (<see cref="ITileOperands"/>) and where their results go
/// (<see cref="ITileOutput"/>).
/// </summary>
/// <remarks>
/// <para>
/// A thread's block is lines of 4 contiguous channels by lines of 4 contiguous columns: per k it reads each of its W
/// and X lines from shared memory with one 16-byte load and multiplies them out, 16 multiply-adds per 2 loads with
/// 4 x 4 blocks, 64 per 4 with 8 x 8. Thread (ty, tx) = (thread / 16, thread % 16) owns channel lines ty (+ 16 in an
/// 8 x 8 block) and column lines tx (+ 16). Per k, the 32 threads of a warp read two distinct W lines (a broadcast) and
/// 16 consecutive X lines (256 bytes, the two wavefronts 16-byte loads need): no bank conflicts.
/// </para>
/// <para>
/// Why two tiles: 128 x 128 tiles do 4 times the multiply-adds per staged value of 64 x 64 ones, but a layer has a
/// quarter as many of them, and 2 resident groups per SM instead of 5. The engine picks the tile per layer from the
/// grid it would get (<see cref="GemmTilePolicy"/>).
/// </para>
/// <para>
/// Staging: a step is Depth rows of Size columns of each operand, 4 KB either way (16 x 64 or 8 x 128). Thread i stages
/// column <c>i % Size</c> of both, the 4 consecutive rows from <c>4 (i / Size)</c>, so a warp stages 32 consecutive
/// columns (a warp's shared-memory stores hit 32 banks) and its operands can hand it 4 consecutive k at once. The slices are double-buffered: the loads for step s + 1 are issued
/// before step s's multiply-adds and land in the other buffer after them, so their latency hides behind the
/// arithmetic and one barrier per step suffices (16 KB of shared memory a group).
/// </para>
/// </remarks>
internal static class TileGemm
{
    /// <summary>Threads per group: 16 x 16.</summary>
    public const int Threads = 256;

    /// <summary>
    /// Resident groups per SM the 128 x 128 tiles are compiled for: 2, which holds them to 128 registers a thread
    /// (<see cref="GroupedKernels"/>); the 64 x 64 tiles need fewer than 64 and are left to ptxas.
    /// </summary>
    public const int LargeResidentGroups = 2;

    private const int ThreadColumns = 16;

    /// <summary>The column of W and X the thread stages.</summary>
    public static int LoadColumn<TBlock>(int thread) where TBlock : struct, IRegisterBlock => thread % default(TBlock).Size;

    /// <summary>
    /// Runs the tile's K loop: <paramref name="reduction"/> rows of W and X from <paramref name="operands"/>, staged in
    /// two slices of shared memory per operand, into the thread's register block.
    /// </summary>
    public static TBlock Accumulate<TOperands, TBlock>(in TOperands operands, int reduction)
        where TOperands : struct, ITileOperands
        where TBlock : struct, IRegisterBlock
    {
        var block = default(TBlock);
        int size = block.Size, depth = block.Depth;
        int sliceFloats = depth * size, linesPerRow = size / 4;
        ArrayView<float> weightSlices = SharedMemory.Allocate<float>(2 * sliceFloats); // [slice][k][m]
        ArrayView<float> inputSlices = SharedMemory.Allocate<float>(2 * sliceFloats); // [slice][k][n]
        int thread = Group.IdxX;
        int loadRow = thread / size, loadColumn = LoadColumn<TBlock>(thread);
        int ty = thread / ThreadColumns, tx = thread % ThreadColumns;
        ArrayView<Line4> weightLines = weightSlices.Cast<Line4>(), inputLines = inputSlices.Cast<Line4>();
        int firstRow = 4 * loadRow, storeAt = firstRow * size + loadColumn;

        Staged staged = Staged.Load(operands, firstRow);
        staged.Store(weightSlices, inputSlices, storeAt, size);
        Group.Barrier();

        int slice = 0;
        for (int step = 0; step < reduction; step += depth)
        {
            // The next step's operands (zeros past K) are in flight while this step's are multiplied.
            staged = Staged.Load(operands, step + depth + firstRow);
            // The step's rows written out: ILGPU does not unroll loops, and unrolled, every shared-memory read is at a
            // constant offset from two views (ViewExtensions.From), and the loads can run ahead of the multiply-adds.
            int sliceLines = slice * depth * linesPerRow;
            ArrayView<Line4> weightRows = weightLines.From(sliceLines + ty), inputRows = inputLines.From(sliceLines + tx);
            MultiplyEightRows(ref block, weightRows, inputRows, 0);
            if (depth == 16)
                MultiplyEightRows(ref block, weightRows, inputRows, 8);
            slice = 1 - slice;
            // The other slice was last read before the previous barrier.
            staged.Store(weightSlices, inputSlices, slice * sliceFloats + storeAt, size);
            Group.Barrier();
        }
        return block;
    }

    /// <summary>Writes the thread's register block to <paramref name="output"/>.</summary>
    public static void Store<TBlock, TOutput>(in TBlock block, in TOutput output)
        where TBlock : struct, IRegisterBlock
        where TOutput : struct, ITileOutput
    {
        int thread = Group.IdxX;
        block.Store(output, thread / ThreadColumns, thread % ThreadColumns);
    }

    /// <summary>Rows <paramref name="first"/> to <paramref name="first"/> + 7 of the staged step, each with a constant index.</summary>
    private static void MultiplyEightRows<TBlock>(ref TBlock block, ArrayView<Line4> weightRows, ArrayView<Line4> inputRows, int first)
        where TBlock : struct, IRegisterBlock
    {
        block.MultiplyRow(weightRows, inputRows, first);
        block.MultiplyRow(weightRows, inputRows, first + 1);
        block.MultiplyRow(weightRows, inputRows, first + 2);
        block.MultiplyRow(weightRows, inputRows, first + 3);
        block.MultiplyRow(weightRows, inputRows, first + 4);
        block.MultiplyRow(weightRows, inputRows, first + 5);
        block.MultiplyRow(weightRows, inputRows, first + 6);
        block.MultiplyRow(weightRows, inputRows, first + 7);
    }

    /// <summary>The four W and four X values a thread stages per step (rows k to k + 3), held in registers between its load and its store.</summary>
    private readonly struct Staged(Line4 weights, Line4 inputs)
    {
        private readonly Line4 _weights = weights, _inputs = inputs;

        public static Staged Load<TOperands>(in TOperands operands, int k) where TOperands : struct, ITileOperands =>
            new(operands.Weights(k), operands.Inputs(k));

        /// <summary>Into a slice of both operands, from float <paramref name="at"/> (the first row), <paramref name="pass"/> floats a row apart.</summary>
        public void Store(ArrayView<float> weightSlices, ArrayView<float> inputSlices, int at, int pass)
        {
            // At constant offsets from one address each (pass is the kernel's constant).
            ArrayView<float> weightRows = weightSlices.From(at), inputRows = inputSlices.From(at);
            weightRows[0] = _weights.A0;
            weightRows[pass] = _weights.A1;
            weightRows[2 * pass] = _weights.A2;
            weightRows[3 * pass] = _weights.A3;
            inputRows[0] = _inputs.A0;
            inputRows[pass] = _inputs.A1;
            inputRows[2 * pass] = _inputs.A2;
            inputRows[3 * pass] = _inputs.A3;
        }
    }
}

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
