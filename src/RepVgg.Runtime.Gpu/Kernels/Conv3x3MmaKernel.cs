using ILGPU;
using ILGPU.Runtime;
using RepVgg.Gpu.TensorCores;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// conv3x3 (padding 1, stride 1 or 2, any groups) + bias + ReLU on tensor cores, in a reduced precision
/// (<typeparamref name="TFormat"/>, its mma from <typeparamref name="TTarget"/>): the implicit GEMM of <see cref="Conv3x3GemmKernel"/>,
/// <c>out[m, n] = ReLU(bias[m] + sum_k W[k, m] * X[k, n])</c>, with W and X rounded to the format as they are
/// staged and the products accumulated in float32 by <c>mma.sync</c>. It reads the same weights
/// (<see cref="Weights.GemmWeightLayout"/>, float32) and activations (NCHW, float32) as the float32 kernel.
/// </summary>
/// <remarks>
/// <para>
/// Tiling: each warp computes a 32 x 32 block of outputs as 2 x 4 mma tiles of 16 x 8 (<see cref="WarpAccumulators"/>,
/// 32 float32 registers a thread). A group of 128 threads (4 warps) computes a 64 (channels) x 64 (pixels) tile
/// (<see cref="Run"/>), or one of 512 threads (16 warps) a 128 x 128 tile (<see cref="RunLarge"/>), for layers whose
/// grid of large tiles fills the device (<see cref="GemmTilePolicy"/>). The group walks K one step at a time: it stages
/// 16 rows of 32-bit words of W (k x tile channels) and of X (k x tile pixels) in shared memory, each word one TF32
/// value or two FP16 values of consecutive k (16 or 32 k a step), then each warp runs 2 x 8 mma, each on 8 word rows.
/// Staging is most of a step's instructions; a large tile stages half as many words per thread for the same mma. The
/// slices are double-buffered: a thread loads its words of step s + 1 into registers before step s's mma and stores
/// them into the other slice after, so their latency hides behind the mma and one barrier per step suffices.
/// </para>
/// <para>
/// Fragments: lane <c>4 g + t</c> reads A's words at word rows t and t + 4, channels g and g + 8 of each 16-channel
/// tile, and B's at word rows t and t + 4, pixel g of each 8-pixel tile. The staged rows are padded by 8 words (to 72
/// or 136), so the 4 rows a warp reads at once start 8 banks apart and its 32 reads hit 32 different banks.
/// </para>
/// <para>
/// Loads are as in the float32 kernel: thread i stages column <c>i % size</c> of both slices, rows
/// <c>i / size + r threads / size</c>, so a warp reads 32 consecutive output channels of W and 32 consecutive pixels
/// of X. Edges read zeros and stores past them are skipped, so no size needs padding.
/// </para>
/// </remarks>
internal static class Conv3x3MmaKernel
{
    /// <summary>Threads per group of <see cref="Run"/>: 4 warps, each computing 32 x 32 outputs of a 64 x 64 tile.</summary>
    public const int Threads = 128;

    /// <summary>Threads per group of <see cref="RunLarge"/>: 16 warps, each computing 32 x 32 outputs of a 128 x 128 tile.</summary>
    public const int LargeThreads = 512;

    private const int TileSize = 64;
    private const int LargeTileSize = 128;

    /// <summary>Rows of 32-bit words staged per step: two mma's worth of k.</summary>
    private const int WordRows = 16;

    /// <summary>Words of padding after each staged row, which spreads a fragment load over all 32 banks.</summary>
    private const int RowPadding = 8;

    private const int WarpSize = 32;

    /// <summary>The launch of <see cref="Run"/>: one group per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig Config(ConvShape shape, int groups) => GemmTile.Config(shape, groups, Threads, TileSize);

    /// <summary>The launch of <see cref="RunLarge"/>: one group per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig LargeConfig(ConvShape shape, int groups) => GemmTile.Config(shape, groups, LargeThreads, LargeTileSize);

    /// <summary>The layer with 64 x 64 tiles, launched with <see cref="Config"/>.</summary>
    /// <param name="input">N x InChannels x InHeight x InWidth.</param>
    /// <param name="weights">[group][k = icInGroup * 9 + ky * 3 + kx][m = ocInGroup] (<see cref="Weights.GemmWeightLayout"/>).</param>
    /// <param name="bias">OutChannels.</param>
    /// <param name="output">N x OutChannels x OutHeight x OutWidth.</param>
    /// <param name="shape">The layer's shapes for this batch.</param>
    public static void Run<TFormat, TTarget>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output, ConvShape shape)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget =>
        Multiply<TFormat, TTarget>(input, weights, bias, output, shape, TileSize, Threads);

    /// <summary>The layer with 128 x 128 tiles, launched with <see cref="LargeConfig"/>; parameters as <see cref="Run"/>'s.</summary>
    public static void RunLarge<TFormat, TTarget>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output, ConvShape shape)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget =>
        Multiply<TFormat, TTarget>(input, weights, bias, output, shape, LargeTileSize, LargeThreads);

    /// <summary>
    /// The kernel body for a square tile of <paramref name="size"/> channels and pixels computed by <paramref name="threads"/>
    /// threads: both constants of the entry point, which ILGPU folds once it inlines this, the shared-memory sizes too.
    /// </summary>
    private static void Multiply<TFormat, TTarget>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output,
        ConvShape shape, int size, int threads)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
    {
        var format = default(TFormat);
        int rowStride = size + RowPadding;
        ArrayView<uint> weightSlices = SharedMemory.Allocate<uint>(2 * WordRows * rowStride); // [slice][word row][m]
        ArrayView<uint> inputSlices = SharedMemory.Allocate<uint>(2 * WordRows * rowStride); // [slice][word row][n]
        int loadRowsPerPass = threads / size;

        int thread = Group.IdxX;
        var tile = new GemmTile(shape, thread, size);
        int reduction = shape.Reduction;
        int valuesPerWord = format.ValuesPerWord;

        // This thread's place in its warp's 32 x 32 block and in the mma fragments.
        int warp = thread / WarpSize;
        int lane = thread % WarpSize;
        int warpsPerRow = size / 32;
        int warpChannel = warp / warpsPerRow * 32;
        int warpPixel = warp % warpsPerRow * 32;
        int fragmentRow = lane / 4;
        int fragmentWord = lane % 4;

        var staging = new Staging<TFormat>(tile, input, weights, shape, loadRowsPerPass);
        int sliceWords = WordRows * rowStride;
        int storeAt = tile.LoadRow * rowStride + tile.LoadColumn, storePass = loadRowsPerPass * rowStride;
        staging.Load(0).Store(weightSlices, inputSlices, storeAt, storePass);
        Group.Barrier();

        var accumulators = WarpAccumulators.Create<TTarget>();
        int kPerStep = WordRows * valuesPerWord;
        int slice = 0;
        for (int step = 0; step < reduction; step += kPerStep)
        {
            // The next step's words (zeros past K) are in flight while this step's mma run; they land in the other slice,
            // which the warps last read before the previous barrier.
            StagedWords next = staging.Load(step + kPerStep);
            ArrayView<uint> weightTile = weightSlices.SubView(slice * sliceWords, sliceWords);
            ArrayView<uint> inputTile = inputSlices.SubView(slice * sliceWords, sliceWords);
            for (int half = 0; half < WordRows / 8; half++)
            {
                int upper = (half * 8 + fragmentWord) * rowStride;
                int lower = upper + 4 * rowStride;
                int a = warpChannel + fragmentRow;
                uint a00 = weightTile[upper + a], a01 = weightTile[upper + a + 8], a02 = weightTile[lower + a], a03 = weightTile[lower + a + 8];
                uint a10 = weightTile[upper + a + 16], a11 = weightTile[upper + a + 24], a12 = weightTile[lower + a + 16], a13 = weightTile[lower + a + 24];
                int b = warpPixel + fragmentRow;
                uint b00 = inputTile[upper + b], b01 = inputTile[lower + b];
                uint b10 = inputTile[upper + b + 8], b11 = inputTile[lower + b + 8];
                uint b20 = inputTile[upper + b + 16], b21 = inputTile[lower + b + 16];
                uint b30 = inputTile[upper + b + 24], b31 = inputTile[lower + b + 24];
                format.MultiplyAccumulate(ref accumulators, 0, a00, a01, a02, a03, b00, b01);
                format.MultiplyAccumulate(ref accumulators, 1, a00, a01, a02, a03, b10, b11);
                format.MultiplyAccumulate(ref accumulators, 2, a00, a01, a02, a03, b20, b21);
                format.MultiplyAccumulate(ref accumulators, 3, a00, a01, a02, a03, b30, b31);
                format.MultiplyAccumulate(ref accumulators, 4, a10, a11, a12, a13, b00, b01);
                format.MultiplyAccumulate(ref accumulators, 5, a10, a11, a12, a13, b10, b11);
                format.MultiplyAccumulate(ref accumulators, 6, a10, a11, a12, a13, b20, b21);
                format.MultiplyAccumulate(ref accumulators, 7, a10, a11, a12, a13, b30, b31);
            }
            slice = 1 - slice;
            next.Store(weightSlices, inputSlices, slice * sliceWords + storeAt, storePass);
            Group.Barrier();
        }

        // One call per tile, so that each names its accumulator registers with constants (ILGPU does not unroll a loop
        // over them, and a run-time tile index would need a 32-way switch).
        int channel = tile.FirstChannel + warpChannel + fragmentRow;
        int pixel = tile.FirstPixel + warpPixel + 2 * fragmentWord;
        int group = tile.ConvGroup;
        StoreTile<TTarget>(output, bias, shape, group, accumulators, 0, channel, pixel);
        StoreTile<TTarget>(output, bias, shape, group, accumulators, 1, channel, pixel);
        StoreTile<TTarget>(output, bias, shape, group, accumulators, 2, channel, pixel);
        StoreTile<TTarget>(output, bias, shape, group, accumulators, 3, channel, pixel);
        StoreTile<TTarget>(output, bias, shape, group, accumulators, 4, channel, pixel);
        StoreTile<TTarget>(output, bias, shape, group, accumulators, 5, channel, pixel);
        StoreTile<TTarget>(output, bias, shape, group, accumulators, 6, channel, pixel);
        StoreTile<TTarget>(output, bias, shape, group, accumulators, 7, channel, pixel);
    }

    /// <summary>
    /// What a thread stages each step: word rows <c>LoadRow + r * loadRowsPerPass</c> of its column of W and X, r = 0 to
    /// 16 / loadRowsPerPass - 1 (8 with 64 x 64 tiles, 4 with 128 x 128), each word one TF32 value or two FP16 values.
    /// </summary>
    private readonly struct Staging<TFormat>(GemmTile tile, ArrayView<float> input, ArrayView<float> weights, ConvShape shape, int loadRowsPerPass)
        where TFormat : struct, ITensorCoreFormat
    {
        private readonly GemmTile _tile = tile;
        private readonly ArrayView<float> _input = input, _weights = weights;
        private readonly ConvShape _shape = shape;
        private readonly int _loadRowsPerPass = loadRowsPerPass;

        /// <summary>The thread's words of the step that starts at k = <paramref name="step"/>; zeros past K.</summary>
        public StagedWords Load(int step)
        {
            var words = new StagedWords(_loadRowsPerPass == 2);
            words.Weights0 = new Words4(WeightWord(step, 0), WeightWord(step, 1), WeightWord(step, 2), WeightWord(step, 3));
            words.Inputs0 = new Words4(InputWord(step, 0), InputWord(step, 1), InputWord(step, 2), InputWord(step, 3));
            if (words.EightRows)
            {
                words.Weights1 = new Words4(WeightWord(step, 4), WeightWord(step, 5), WeightWord(step, 6), WeightWord(step, 7));
                words.Inputs1 = new Words4(InputWord(step, 4), InputWord(step, 5), InputWord(step, 6), InputWord(step, 7));
            }
            return words;
        }

        private uint WeightWord(int step, int r)
        {
            var format = default(TFormat);
            int k = FirstK(step, r);
            return format.Pack(_tile.LoadWeight(_weights, _shape, k), format.ValuesPerWord == 2 ? _tile.LoadWeight(_weights, _shape, k + 1) : 0f);
        }

        private uint InputWord(int step, int r)
        {
            var format = default(TFormat);
            int k = FirstK(step, r);
            return format.Pack(_tile.Gather.Load(_input, _shape, k), format.ValuesPerWord == 2 ? _tile.Gather.Load(_input, _shape, k + 1) : 0f);
        }

        private int FirstK(int step, int r) => step + (_tile.LoadRow + r * _loadRowsPerPass) * default(TFormat).ValuesPerWord;
    }

    /// <summary>A thread's staged words, held in registers between their loads and their stores (named fields: an array would live in local memory).</summary>
    private struct StagedWords(bool eightRows)
    {
        public Words4 Weights0, Inputs0, Weights1, Inputs1;

        /// <summary>Whether the thread stages 8 rows (64 x 64 tiles), or only the first 4 (128 x 128).</summary>
        public readonly bool EightRows = eightRows;

        /// <summary>Into a slice of both operands, from word <paramref name="at"/> (the first row), <paramref name="pass"/> words a row apart.</summary>
        public readonly void Store(ArrayView<uint> weightSlices, ArrayView<uint> inputSlices, int at, int pass)
        {
            Weights0.Store(weightSlices, at, pass);
            Inputs0.Store(inputSlices, at, pass);
            if (EightRows)
            {
                Weights1.Store(weightSlices, at + 4 * pass, pass);
                Inputs1.Store(inputSlices, at + 4 * pass, pass);
            }
        }
    }

    /// <summary>Four staged words.</summary>
    private readonly struct Words4(uint a0, uint a1, uint a2, uint a3)
    {
        private readonly uint _a0 = a0, _a1 = a1, _a2 = a2, _a3 = a3;

        public void Store(ArrayView<uint> slices, int at, int pass)
        {
            slices[at] = _a0;
            slices[at + pass] = _a1;
            slices[at + 2 * pass] = _a2;
            slices[at + 3 * pass] = _a3;
        }
    }

    /// <summary>
    /// Writes this thread's four outputs of mma tile <paramref name="tile"/> (i * 4 + j): channels 16i + fragment row
    /// (+ 8), pixels 8j + 2 x fragment word (+ 1) of the warp's block; <paramref name="channel"/> and
    /// <paramref name="pixel"/> are those of tile 0.
    /// </summary>
    private static void StoreTile<TTarget>(ArrayView<float> output, ArrayView<float> bias, ConvShape shape, int group,
        in WarpAccumulators accumulators, int tile, int channel, int pixel)
        where TTarget : struct, ITensorCoreTarget
    {
        int channelInGroup = channel + tile / 4 * 16;
        int first = pixel + tile % 4 * 8;
        ConvOutput.Store(output, bias, shape, group, channelInGroup, first, accumulators.Result<TTarget>(tile, 0));
        ConvOutput.Store(output, bias, shape, group, channelInGroup, first + 1, accumulators.Result<TTarget>(tile, 1));
        ConvOutput.Store(output, bias, shape, group, channelInGroup + 8, first, accumulators.Result<TTarget>(tile, 2));
        ConvOutput.Store(output, bias, shape, group, channelInGroup + 8, first + 1, accumulators.Result<TTarget>(tile, 3));
    }
}
