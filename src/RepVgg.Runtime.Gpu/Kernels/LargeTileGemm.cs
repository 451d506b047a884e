using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// What a thread of <see cref="LargeTileGemm"/> stages each step: its column of the block's W (K x 128 output
/// channels) and of its X (K x 128 columns of N), row k; zero past K or past the edges of M and N.
/// </summary>
internal interface ILargeTileOperands
{
    /// <summary>W[k, this thread's column of M].</summary>
    float Weight(int k);

    /// <summary>X[k, this thread's column of N].</summary>
    float Input(int k);
}

/// <summary>
/// Where a thread of <see cref="LargeTileGemm"/> writes its results: four consecutive columns of one row of the block,
/// both counted from the block's first; the output skips what lies past the edges of M and N.
/// </summary>
internal interface ILargeTileOutput
{
    /// <summary>Block row <paramref name="row"/>, columns <paramref name="column"/> to <paramref name="column"/> + 3.</summary>
    void Store(int row, int column, Line4 sums);
}

/// <summary>
/// The float32 GEMM's large block: a group of 256 threads computes a 128 x 128 block of <c>C = W^T X</c> (W is
/// K x M and X is K x N, both with their rows contiguous), each thread an 8 x 8 register block
/// (<see cref="Accumulators8x8"/>). The implicit-GEMM conv (<see cref="Conv3x3LargeGemmKernel"/>) and the Winograd
/// GEMM (<see cref="Winograd.WinogradGemmKernel.MultiplyLarge"/>) differ only in where their operands come from
/// (<see cref="ILargeTileOperands"/>) and where their results go (<see cref="ILargeTileOutput"/>).
/// </summary>
/// <remarks>
/// <para>
/// Why a second block size: the 64 x 64 blocks' 4 x 4 register blocks read a float from shared memory for every two
/// multiply-adds, so they are bound by shared-memory bandwidth at about half the FMA peak. Here a thread reads four
/// 16-byte lines per k (two of W, two of X) and does 64 multiply-adds with them. The price is fewer, larger blocks
/// (and 2 resident groups per SM instead of 5), which a small layer cannot fill: the engine picks the block size per
/// layer from the grid it would get (<see cref="GpuInferenceEngine"/>).
/// </para>
/// <para>
/// Thread (ty, tx) = (thread / 16, thread % 16) owns channels 4ty to 4ty + 3 and 64 + 4ty to 64 + 4ty + 3, and
/// columns 4tx to 4tx + 3 and 64 + 4tx to 64 + 4tx + 3. Per k, the 32 threads of a warp read two distinct W lines
/// (a broadcast) and 16 consecutive X lines (256 bytes, the two wavefronts 16-byte loads need): no bank conflicts.
/// </para>
/// <para>
/// Staging: thread i stages column <c>i % 128</c> of both operands, rows <c>i / 128 + 2r</c> of each 8-deep step, so a
/// warp reads 32 consecutive floats of a W or X row from global memory. The slices are double-buffered: the loads for
/// step s + 1 are issued before step s's multiply-adds and land in the other buffer after them, so their latency hides
/// behind the arithmetic and one barrier per step suffices (two buffers of 2 x 4 KB).
/// </para>
/// </remarks>
internal static class LargeTileGemm
{
    /// <summary>Rows and columns of a block: output channels and GEMM columns.</summary>
    public const int Size = 128;

    /// <summary>K per staged step.</summary>
    public const int Depth = 8;

    /// <summary>Threads per group: 16 x 16, each with an 8 x 8 register block.</summary>
    public const int Threads = 256;

    /// <summary>Floats of one staged slice of one operand (Depth x Size).</summary>
    private const int SliceFloats = Depth * Size;

    private const int LinesPerRow = Size / 4;
    private const int ThreadColumns = 16;
    private const int LoadRowsPerPass = Threads / Size;

    /// <summary>This thread's row of 4-channel lines (ty) in its register block.</summary>
    private static int ThreadRow(int thread) => thread / ThreadColumns;

    /// <summary>This thread's column of 4-column lines (tx) in its register block.</summary>
    private static int ThreadColumn(int thread) => thread % ThreadColumns;

    /// <summary>The column of W and X the thread stages.</summary>
    public static int LoadColumn(int thread) => thread % Size;

    /// <summary>
    /// Runs the block's K loop: <paramref name="reduction"/> rows of W and X from <paramref name="operands"/>, staged in
    /// two slices of shared memory per operand, into the thread's register block.
    /// </summary>
    public static Accumulators8x8 Accumulate<TOperands>(in TOperands operands, int reduction)
        where TOperands : struct, ILargeTileOperands
    {
        ArrayView<float> weightSlices = SharedMemory.Allocate<float>(2 * SliceFloats); // [slice][k][m]
        ArrayView<float> inputSlices = SharedMemory.Allocate<float>(2 * SliceFloats); // [slice][k][n]
        int thread = Group.IdxX;
        int loadRow = thread / Size, loadColumn = LoadColumn(thread);
        int ty = ThreadRow(thread), tx = ThreadColumn(thread);
        ArrayView<Line4> weightLines = weightSlices.Cast<Line4>(), inputLines = inputSlices.Cast<Line4>();

        Staged staged = Staged.Load(operands, 0, loadRow);
        staged.Store(weightSlices, inputSlices, loadRow * Size + loadColumn);
        Group.Barrier();

        var sums = new Accumulators8x8();
        int slice = 0;
        for (int step = 0; step < reduction; step += Depth)
        {
            // The next step's operands (zeros past K) are in flight while this step's are multiplied.
            staged = Staged.Load(operands, step + Depth, loadRow);
            // The step's 8 rows written out: ILGPU does not unroll loops, and unrolled, every shared-memory address
            // is a constant offset from two views (which ptxas folds into the loads), and the loads can run ahead of the
            // multiply-adds.
            int sliceLines = slice * Depth * LinesPerRow;
            ArrayView<Line4> weightRows = Rest(weightLines, sliceLines + ty), inputRows = Rest(inputLines, sliceLines + tx);
            MultiplyRow(ref sums, weightRows, inputRows, 0);
            MultiplyRow(ref sums, weightRows, inputRows, 1);
            MultiplyRow(ref sums, weightRows, inputRows, 2);
            MultiplyRow(ref sums, weightRows, inputRows, 3);
            MultiplyRow(ref sums, weightRows, inputRows, 4);
            MultiplyRow(ref sums, weightRows, inputRows, 5);
            MultiplyRow(ref sums, weightRows, inputRows, 6);
            MultiplyRow(ref sums, weightRows, inputRows, 7);
            slice = 1 - slice;
            // The other slice was last read before the previous barrier.
            staged.Store(weightSlices, inputSlices, slice * SliceFloats + loadRow * Size + loadColumn);
            Group.Barrier();
        }
        return sums;
    }

    /// <summary>Writes the thread's register block to <paramref name="output"/>: its 8 rows, each as two lines of 4 columns.</summary>
    public static void Store<TOutput>(in Accumulators8x8 sums, in TOutput output)
        where TOutput : struct, ILargeTileOutput
    {
        int thread = Group.IdxX;
        int row = 4 * ThreadRow(thread), low = 4 * ThreadColumn(thread), high = low + 64;
        output.Store(row, low, sums.Low0); output.Store(row, high, sums.High0);
        output.Store(row + 1, low, sums.Low1); output.Store(row + 1, high, sums.High1);
        output.Store(row + 2, low, sums.Low2); output.Store(row + 2, high, sums.High2);
        output.Store(row + 3, low, sums.Low3); output.Store(row + 3, high, sums.High3);
        output.Store(row + 64, low, sums.Low4); output.Store(row + 64, high, sums.High4);
        output.Store(row + 65, low, sums.Low5); output.Store(row + 65, high, sums.High5);
        output.Store(row + 66, low, sums.Low6); output.Store(row + 66, high, sums.High6);
        output.Store(row + 67, low, sums.Low7); output.Store(row + 67, high, sums.High7);
    }

    /// <summary>
    /// Row <paramref name="k"/> of the staged slice: the thread's two W lines times its two X lines, from views that start
    /// at the thread's first line of row 0.
    /// </summary>
    private static void MultiplyRow(ref Accumulators8x8 sums, ArrayView<Line4> weightRows, ArrayView<Line4> inputRows, int k)
    {
        int offset = k * LinesPerRow;
        sums.MultiplyAdd(weightRows[offset], weightRows[offset + 16], inputRows[offset], inputRows[offset + 16]);
    }

    /// <summary>The lines of <paramref name="view"/> from <paramref name="start"/> on.</summary>
    private static ArrayView<Line4> Rest(ArrayView<Line4> view, int start) => view.SubView(start, view.IntLength - start);

    /// <summary>The four W and four X values a thread stages per step, held in registers between its load and its store.</summary>
    private readonly struct Staged(Line4 weights, Line4 inputs)
    {
        private readonly Line4 _weights = weights, _inputs = inputs;

        /// <summary>Rows <paramref name="loadRow"/> + 2r (r = 0 to 3) of the step from <paramref name="step"/>.</summary>
        public static Staged Load<TOperands>(in TOperands operands, int step, int loadRow)
            where TOperands : struct, ILargeTileOperands
        {
            int k = step + loadRow;
            return new Staged(
                new Line4(operands.Weight(k), operands.Weight(k + LoadRowsPerPass), operands.Weight(k + 2 * LoadRowsPerPass), operands.Weight(k + 3 * LoadRowsPerPass)),
                new Line4(operands.Input(k), operands.Input(k + LoadRowsPerPass), operands.Input(k + 2 * LoadRowsPerPass), operands.Input(k + 3 * LoadRowsPerPass)));
        }

        /// <summary>Into a slice of both operands, from float <paramref name="at"/> (the first row), a row apart per pass.</summary>
        public void Store(ArrayView<float> weightSlices, ArrayView<float> inputSlices, int at)
        {
            const int pass = LoadRowsPerPass * Size;
            weightSlices[at] = _weights.A0;
            weightSlices[at + pass] = _weights.A1;
            weightSlices[at + 2 * pass] = _weights.A2;
            weightSlices[at + 3 * pass] = _weights.A3;
            inputSlices[at] = _inputs.A0;
            inputSlices[at + pass] = _inputs.A1;
            inputSlices[at + 2 * pass] = _inputs.A2;
            inputSlices[at + 3 * pass] = _inputs.A3;
        }
    }
}

/// <summary>
/// A thread's 8 x 8 register block of <see cref="LargeTileGemm"/>: 16 lines of 4 named floats (an array would live in
/// local memory). Row i &lt; 4 is block channel 4ty + i, row i &gt;= 4 is 64 + 4ty + i - 4; <c>Low</c> lines hold
/// columns 4tx to 4tx + 3 and <c>High</c> lines 64 + 4tx to 64 + 4tx + 3.
/// </summary>
internal struct Accumulators8x8
{
    public Line4 Low0, Low1, Low2, Low3, Low4, Low5, Low6, Low7;
    public Line4 High0, High1, High2, High3, High4, High5, High6, High7;

    /// <summary>Adds the outer product of 8 weights (two lines of channels) and 8 inputs (two lines of columns).</summary>
    public void MultiplyAdd(Line4 weightsLow, Line4 weightsHigh, Line4 inputsLow, Line4 inputsHigh)
    {
        Low0 = Low0.MultiplyAdd(inputsLow, weightsLow.A0); High0 = High0.MultiplyAdd(inputsHigh, weightsLow.A0);
        Low1 = Low1.MultiplyAdd(inputsLow, weightsLow.A1); High1 = High1.MultiplyAdd(inputsHigh, weightsLow.A1);
        Low2 = Low2.MultiplyAdd(inputsLow, weightsLow.A2); High2 = High2.MultiplyAdd(inputsHigh, weightsLow.A2);
        Low3 = Low3.MultiplyAdd(inputsLow, weightsLow.A3); High3 = High3.MultiplyAdd(inputsHigh, weightsLow.A3);
        Low4 = Low4.MultiplyAdd(inputsLow, weightsHigh.A0); High4 = High4.MultiplyAdd(inputsHigh, weightsHigh.A0);
        Low5 = Low5.MultiplyAdd(inputsLow, weightsHigh.A1); High5 = High5.MultiplyAdd(inputsHigh, weightsHigh.A1);
        Low6 = Low6.MultiplyAdd(inputsLow, weightsHigh.A2); High6 = High6.MultiplyAdd(inputsHigh, weightsHigh.A2);
        Low7 = Low7.MultiplyAdd(inputsLow, weightsHigh.A3); High7 = High7.MultiplyAdd(inputsHigh, weightsHigh.A3);
    }
}
