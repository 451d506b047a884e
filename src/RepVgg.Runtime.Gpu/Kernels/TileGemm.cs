using ILGPU;

namespace RepVgg.Gpu.Kernels;

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
