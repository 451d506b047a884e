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
/// Staging is most of a step's instructions (ptxas's SASS: 440 of 578 in TF32 with 64 x 64 tiles); a large tile stages
/// half as many words per thread for the same mma.
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
        where TTarget : struct, ITensorCoreTarget
    {
        ArrayView<uint> weightTile = SharedMemory.Allocate<uint>(WordRows * (TileSize + RowPadding)); // [word row][m]
        ArrayView<uint> inputTile = SharedMemory.Allocate<uint>(WordRows * (TileSize + RowPadding)); // [word row][n]
        Multiply<TFormat, TTarget>(input, weights, bias, output, shape, weightTile, inputTile, TileSize, Threads);
    }

    /// <summary>The layer with 128 x 128 tiles, launched with <see cref="LargeConfig"/>; parameters as <see cref="Run"/>'s.</summary>
    public static void RunLarge<TFormat, TTarget>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output, ConvShape shape)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
    {
        ArrayView<uint> weightTile = SharedMemory.Allocate<uint>(WordRows * (LargeTileSize + RowPadding)); // [word row][m]
        ArrayView<uint> inputTile = SharedMemory.Allocate<uint>(WordRows * (LargeTileSize + RowPadding)); // [word row][n]
        Multiply<TFormat, TTarget>(input, weights, bias, output, shape, weightTile, inputTile, LargeTileSize, LargeThreads);
    }

    /// <summary>
    /// The kernel body for a square tile of <paramref name="size"/> channels and pixels computed by <paramref name="threads"/>
    /// threads (both constants of the entry point, which ILGPU folds once it inlines this), staging through the shared
    /// slices the entry point allocated (ILGPU needs a constant size at each allocation).
    /// </summary>
    private static void Multiply<TFormat, TTarget>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output,
        ConvShape shape, ArrayView<uint> weightTile, ArrayView<uint> inputTile, int size, int threads)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
    {
        var format = default(TFormat);
        int rowStride = size + RowPadding;
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

        var accumulators = WarpAccumulators.Create<TTarget>();
        for (int step = 0; step < reduction; step += WordRows * valuesPerWord)
        {
            for (int row = tile.LoadRow; row < WordRows; row += loadRowsPerPass)
            {
                int k = step + row * valuesPerWord;
                float w1 = valuesPerWord == 2 ? tile.LoadWeight(weights, shape, k + 1) : 0f;
                weightTile[row * rowStride + tile.LoadColumn] = format.Pack(tile.LoadWeight(weights, shape, k), w1);
                float x1 = valuesPerWord == 2 ? tile.Gather.Load(input, shape, k + 1) : 0f;
                inputTile[row * rowStride + tile.LoadColumn] = format.Pack(tile.Gather.Load(input, shape, k), x1);
            }
            Group.Barrier();

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
