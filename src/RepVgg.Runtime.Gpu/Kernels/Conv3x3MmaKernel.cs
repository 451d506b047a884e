using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using RepVgg.Gpu.TensorCores;
using RepVgg.Gpu.Weights;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// conv3x3 (padding 1, stride 1 or 2, any groups) + bias + ReLU on tensor cores, in a reduced precision
/// (<c>TFormat</c>, its mma from <c>TTarget</c>): the implicit GEMM of <see cref="Conv3x3GemmKernel"/>,
/// <c>out[m, n] = ReLU(bias[m] + sum_k W[k, m] * X[k, n])</c>, with W and X rounded to the format and the products
/// accumulated in float32 by <c>mma.sync</c>. W comes rounded and packed as mma A fragments
/// (<see cref="Weights.MmaWeightLayout"/>). X is the activation, channels last, laid out as <c>TLayout</c>
/// says, its values already in the format: TF32-rounded float32 in TF32 (<see cref="NhwcTf32"/>), half precision in FP16
/// (<see cref="NhwcHalf{TTarget}"/>); no other pairing is built, and the kernel stages X as it lies (one value at a time,
/// <see cref="ScalarReads"/>, it packs each through the format, which leaves it as it is). The output is laid out as the input.
/// </summary>
/// <remarks>
/// <para>
/// Tiling: a group of 128 threads (4 warps) computes a 64 (channels) x 64 (pixels) tile (<see cref="Run"/>), each warp
/// a 32 x 32 block as 2 x 4 mma tiles of 16 x 8 (<see cref="WarpAccumulators"/>, 32 float32 registers a thread); or,
/// for layers whose grid of large tiles fills the device (<see cref="GemmTilePolicy"/>), a group of 256 threads
/// (8 warps) a 128 x 128 tile (<see cref="RunLarge"/>), each warp a 64 x 32 block as 4 x 4 mma tiles (64 registers a
/// thread). A lane reads each of its fragments once per word block and uses an A fragment for 4 mma and a B fragment
/// for 2 or 4, so the wider warp block reads 1.5 shared-memory wavefronts per mma where the 32 x 32 one reads 2. The
/// group walks K one step at a time: it stages 16 rows of 32-bit words of W (k x tile channels) and of X (k x tile
/// pixels) in shared memory, each word one TF32 value or two FP16 values (16 or 32 k a step), then each warp runs
/// 2 x 8 or 2 x 16 mma, each on 8 word rows.
/// The slices form a ring and each step starts at one barrier: past it, a thread starts staging its share of a later
/// step into a slice every warp finished reading before the barrier, and runs this step's mma while that is under way.
/// <c>TCopies</c> says how (<see cref="IStagingCopies"/>): the engine's <see cref="RegisterCopies"/> loads step s + 1
/// into registers before the mma and stores it into the other of 2 slices after them; a staging from outside the
/// product (the GPU check's candidates) may hold more slices and copy otherwise.
/// </para>
/// <para>
/// W: a step's slice is the tile's channel blocks' two fragments each, copied as they lie in the layout, 16 bytes a
/// thread, two copies a thread (a group has half as many threads as a slice has lanes). A lane then reads each of its fragments
/// with one 16-byte load; a warp's 32 loads cover 512 consecutive bytes, so none conflict. Channel blocks past M (a
/// tile that overhangs the group) copy the group's last block instead, whose products are never stored.
/// </para>
/// <para>
/// X: the step's 16 word rows are staged as 8 pair rows, pair row t of a word block holding its word rows t and t + 4
/// side by side, which are the two words of a B fragment: lane <c>4 g + t</c> reads both with one 8-byte load, at pixel
/// g of each 8-pixel tile. K runs tap-major (<see cref="Weights.MmaWeightLayout"/>): a word block is one tap of 8 or 16
/// input channels, and its words t and t + 4 hold consecutive channels, so pair row t is the 2 (TF32) or 4 (FP16)
/// channels from 2t or 4t, and pair rows 2j and 2j + 1 are one 16-byte line of the channels-last input (4 float32
/// values or 8 halves). The slice holds them so, line by line: line j of a step (pair rows 2j, 2j + 1) at every pixel
/// of the tile, 16 bytes a pixel. A pixel's column of a step is staged by 4 neighbouring threads of a warp, a line
/// each: thread i stages line <c>i % 4</c> at pixels <c>i / 4</c> and <c>i / 4</c> + half the tile, each behind one
/// padding test and one address, a 16-byte copy where the group's channels are a multiple of a line's, which keeps
/// the lines aligned and whole within the group (<see cref="VectorReads"/>), one value at a time otherwise
/// (<see cref="ScalarReads"/>, through registers): each is its own kernel, so neither carries the other's code. So each
/// load of a warp covers 8 whole pixels' 64-byte runs and touches 8 cache lines (16 where a step's two word blocks lie
/// at two taps); with 2 threads a pixel, 2 lines each, it would touch twice as many. Zeros past K, the image and N. A
/// warp's 16-byte stores fill 128 contiguous bytes for each of the 4 lines it stages, the least 512 bytes take; its B
/// fragment reads of a pixel tile are two runs of 128 contiguous bytes (pair rows 0 and 1, then 2
/// and 3), the least 256 bytes take: neither needs padding.
/// </para>
/// <para>
/// Output: a thread's fragment values are 2 pixels by 2 channels 8 apart; the 8 lanes that share a pixel write 8
/// consecutive channels (32 bytes). Stores past the edges are skipped, so no size needs padding.
/// </para>
/// </remarks>
internal static partial class Conv3x3MmaKernel
{
    /// <summary>Threads per group of <see cref="Run"/>: 4 warps, each computing 32 x 32 outputs (channels x pixels) of a 64 x 64 tile.</summary>
    public const int Threads = 128;

    /// <summary>Threads per group of <see cref="RunLarge"/>: 8 warps, each computing 64 x 32 outputs of a 128 x 128 tile.</summary>
    public const int LargeThreads = 256;

    /// <summary>
    /// Resident groups per SM <see cref="RunLarge"/> is compiled for (<see cref="GroupedKernels"/>): 2, so that one group
    /// can issue while the other's warps wait at their barrier. It holds the kernel to 128 registers, which ptxas 11.8
    /// meets without spilling (126 on sm_90 with the 64 accumulators).
    /// </summary>
    public const int LargeResidentGroups = 2;

    private const int TileSize = GemmTilePolicy.SmallTileSize;
    private const int LargeTileSize = GemmTilePolicy.LargeTileSize;

    /// <summary>Rows of 32-bit words staged per step: two mma's worth of k.</summary>
    private const int WordRows = MmaWeightLayout.BlocksPerStep * MmaWeightLayout.BlockWords;

    /// <summary>Staged input pair rows per step: word rows t and t + 4 of each word block share one.</summary>
    private const int PairRows = WordRows / 2;

    /// <summary>Staged input lines per step: a line is two pair rows at one pixel, 16 bytes.</summary>
    private const int LinesPerStep = PairRows / 2;

    private const int WarpSize = 32;

    /// <summary>Pixels of a warp's block: 4 mma tiles of 8.</summary>
    private const int WarpPixels = 32;

    /// <summary>mma tiles along a warp block's pixels.</summary>
    private const int PixelTiles = WarpPixels / 8;

    /// <summary>16-byte lanes of one channel block's fragments in a step: its two word blocks, 32 lanes each.</summary>
    private const int BlockLanesPerStep = MmaWeightLayout.BlocksPerStep * WarpSize;

    /// <summary>The launch of <see cref="Run"/>: one group per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig Config(ConvShape shape, int groups) => GemmTile.Config(shape, groups, Threads, TileSize);

    /// <summary>The launch of <see cref="RunLarge"/>: one group per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig LargeConfig(ConvShape shape, int groups) => GemmTile.Config(shape, groups, LargeThreads, LargeTileSize);

    /// <summary>
    /// The entry point of the tile size (<see cref="RunLarge"/> with <paramref name="large"/> tiles, else <see cref="Run"/>),
    /// with its threads per group, the resident groups per SM it is compiled for (null: no bound) and its launch: what a
    /// loader needs, for the engine's staging or another.
    /// </summary>
    public static (Action<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape, OperandAddresses> Kernel, int Threads,
        int? ResidentGroups, Func<ConvShape, int, KernelConfig> Config) Entry<TFormat, TTarget, TLayout, TReads, TCopies>(bool large)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
        where TCopies : struct, IStagingCopies =>
        large
            ? (RunLarge<TFormat, TTarget, TLayout, TReads, TCopies>, LargeThreads, LargeResidentGroups, LargeConfig)
            : (Run<TFormat, TTarget, TLayout, TReads, TCopies>, Threads, null, Config);

    /// <summary>The layer with 64 x 64 tiles, launched with <see cref="Config"/>.</summary>
    /// <param name="input">N x InHeight x InWidth x InChannels.</param>
    /// <param name="weights">The words of <see cref="MmaWeightLayout"/> in <typeparamref name="TFormat"/>, as floats, 16-byte aligned.</param>
    /// <param name="bias">OutChannels.</param>
    /// <param name="output">N x OutHeight x OutWidth x OutChannels.</param>
    /// <param name="shape">The layer's shapes for this batch.</param>
    /// <param name="addresses">
    /// Where <paramref name="input"/> and <paramref name="weights"/> start on the device, for a staging that copies by
    /// address (<see cref="IStagingCopies"/>); the engine's <see cref="RegisterCopies"/> never reads them.
    /// </param>
    public static void Run<TFormat, TTarget, TLayout, TReads, TCopies>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output,
        ConvShape shape, OperandAddresses addresses)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
        where TCopies : struct, IStagingCopies =>
        Multiply<TFormat, TTarget, TLayout, TReads, TCopies>(input, weights, bias, output, shape, addresses, TileSize, Threads, warpChannels: 32);

    /// <summary>The layer with 128 x 128 tiles, launched with <see cref="LargeConfig"/>; parameters as <see cref="Run"/>'s.</summary>
    public static void RunLarge<TFormat, TTarget, TLayout, TReads, TCopies>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output,
        ConvShape shape, OperandAddresses addresses)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
        where TCopies : struct, IStagingCopies =>
        Multiply<TFormat, TTarget, TLayout, TReads, TCopies>(input, weights, bias, output, shape, addresses, LargeTileSize, LargeThreads, warpChannels: 64);

    /// <summary>
    /// The kernel body for a square tile of <paramref name="size"/> channels and pixels computed by <paramref name="threads"/>
    /// threads (twice its pixels), each warp <paramref name="warpChannels"/> channels by <see cref="WarpPixels"/> pixels:
    /// constants of the entry point, which ILGPU folds once it inlines this, the shared-memory sizes too.
    /// </summary>
    private static void Multiply<TFormat, TTarget, TLayout, TReads, TCopies>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output,
        ConvShape shape, OperandAddresses addresses, int size, int threads, int warpChannels)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
        where TCopies : struct, IStagingCopies
    {
        var format = default(TFormat);
        int weightSliceLanes = size / MmaWeightLayout.BlockChannels * BlockLanesPerStep;
        int inputSliceLines = LinesPerStep * size;
        // One allocation, the kernel's only one on CUDA (a staging's PTX may name it, __shared_alloca0): the ring's W slices, then its X slices.
        ArrayView<Words4> staged = SharedMemory.Allocate<Words4>(TCopies.Slices * (weightSliceLanes + inputSliceLines));

        int thread = Group.IdxX;
        var tile = new GemmTile(shape, thread, size);
        int steps = MmaWeightLayout.Steps(shape.InPerGroup, format.ValuesPerWord);

        // This thread's place in its warp's block (warpChannels x WarpPixels) and in the mma fragments.
        int warp = thread / WarpSize;
        int lane = thread % WarpSize;
        int warpsPerRow = size / WarpPixels;
        int warpChannel = warp / warpsPerRow * warpChannels;
        int warpPixel = warp % warpsPerRow * WarpPixels;
        int channelBlocks = warpChannels / MmaWeightLayout.BlockChannels;
        int fragmentRow = lane / 4;
        int fragmentWord = lane % 4;

        // The line of a step's 4 this thread stages, at two pixels of the tile, half a tile apart: the four threads of a
        // pixel are neighbours in their warp, so that together they read its channels as one run.
        int stagedLine = thread % LinesPerStep;
        int stagedPixel = thread / LinesPerStep;
        var staging = new Staging<TFormat, TTarget, TLayout, TReads>(tile, input, weights, shape, thread, threads, stagedPixel, stagedLine, steps);
        var ring = new StagingRing(staged, TCopies.Slices, weightSliceLanes, inputSliceLines, thread, threads, stagedLine * size + stagedPixel);
        var copies = default(TCopies);
        copies.Prologue(staging, ring, addresses);

        var accumulators = WarpAccumulators.Create<TTarget>();
        // The lanes of the warp's channel blocks' fragments in a slice, for the step's first word block, and the
        // pair of this lane's B fragments in the first pixel tile: pixel g of line t / 2, its pair row t % 2.
        int fragments = warpChannel / MmaWeightLayout.BlockChannels * BlockLanesPerStep + lane;
        int fragmentPairs = (fragmentWord / 2 * size + warpPixel + fragmentRow) * 2 + fragmentWord % 2;
        // Where this thread's first output lies: made before the loop, so that only these live through it.
        int channel = tile.FirstChannel + warpChannel + fragmentRow;
        int pixel = tile.FirstPixel + warpPixel + 2 * fragmentWord;
        int group = tile.ConvGroup;
        int slice = 0;
        for (int step = 0; step < steps; step++)
        {
            // This step's slice is whole once every thread's share of it has landed; and every warp is done with the
            // slice this step's staging overwrites, which it read in the previous step.
            copies.AwaitStep<TTarget>();
            Group.Barrier();
            // The share of a later step (zeros past K, and the last step again after it) is under way while this step's mma run.
            copies.Begin(staging, ring, step, slice);
            // Views from this lane's first fragment words of the slice, read at constant offsets (ViewExtensions.From).
            ArrayView<Words4> weightFragments = ring.WeightSlice(slice).From(fragments);
            ArrayView<Words2> inputFragments = ring.InputSlice(slice).Cast<Words2>().From(fragmentPairs);
            MultiplyWordBlock(format, ref accumulators, weightFragments, inputFragments, size, channelBlocks, 0);
            MultiplyWordBlock(format, ref accumulators, weightFragments, inputFragments, size, channelBlocks, 1);
            slice = slice == TCopies.Slices - 1 ? 0 : slice + 1;
            copies.End(ring, slice);
        }
        copies.Finish<TTarget>();

        // One call per pixel tile, and in it one per mma tile, so that each names its accumulator registers with constants
        // (ILGPU does not unroll a loop over them, and a run-time tile index would need a 64-way switch).
        StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, channelBlocks, 0, channel, pixel);
        StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, channelBlocks, 1, channel, pixel);
        StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, channelBlocks, 2, channel, pixel);
        StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, channelBlocks, 3, channel, pixel);
    }

    /// <summary>
    /// The warp's <paramref name="channelBlocks"/> x 4 mma (2 or 4, a constant) on word block <paramref name="block"/>
    /// of the staged step: A fragments of its channel blocks from <paramref name="weights"/> (lane-major,
    /// <see cref="BlockLanesPerStep"/> lanes a channel block), B fragments of its pixel tiles from <paramref name="inputs"/>
    /// (pair row t of the block, words t and t + 4 at once, pixel g, g + 8, g + 16 and g + 24; a word block is 2 lines of
    /// <paramref name="size"/> pixels, each 2 pairs). Called with a constant block, so every index is a constant.
    /// </summary>
    private static void MultiplyWordBlock<TFormat>(TFormat format, ref WarpAccumulators accumulators, ArrayView<Words4> weights, ArrayView<Words2> inputs,
        int size, int channelBlocks, int block)
        where TFormat : struct, ITensorCoreFormat
    {
        int row = block * 4 * size;
        var b = new PixelTileFragments(inputs[row], inputs[row + 16], inputs[row + 32], inputs[row + 48]);
        int lanes = block * WarpSize;
        Words4 a0 = weights[lanes], a1 = weights[BlockLanesPerStep + lanes];
        MultiplyChannelBlock(format, ref accumulators, a0, b, 0);
        MultiplyChannelBlock(format, ref accumulators, a1, b, 1);
        if (channelBlocks == 4)
        {
            Words4 a2 = weights[2 * BlockLanesPerStep + lanes], a3 = weights[3 * BlockLanesPerStep + lanes];
            MultiplyChannelBlock(format, ref accumulators, a2, b, 2);
            MultiplyChannelBlock(format, ref accumulators, a3, b, 3);
        }
    }

    /// <summary>
    /// The 4 mma of channel block <paramref name="channelBlock"/> (a constant): its A fragment <paramref name="a"/> by
    /// each pixel tile's B fragment, into mma tiles <c>4 channelBlock + j</c>.
    /// </summary>
    private static void MultiplyChannelBlock<TFormat>(TFormat format, ref WarpAccumulators accumulators, Words4 a, in PixelTileFragments b, int channelBlock)
        where TFormat : struct, ITensorCoreFormat
    {
        int tile = channelBlock * PixelTiles;
        format.MultiplyAccumulate(ref accumulators, tile, a.W0, a.W1, a.W2, a.W3, b.B0.W0, b.B0.W1);
        format.MultiplyAccumulate(ref accumulators, tile + 1, a.W0, a.W1, a.W2, a.W3, b.B1.W0, b.B1.W1);
        format.MultiplyAccumulate(ref accumulators, tile + 2, a.W0, a.W1, a.W2, a.W3, b.B2.W0, b.B2.W1);
        format.MultiplyAccumulate(ref accumulators, tile + 3, a.W0, a.W1, a.W2, a.W3, b.B3.W0, b.B3.W1);
    }

    /// <summary>
    /// Writes this thread's outputs of pixel tile <paramref name="pixelTile"/> (mma tiles 4i + j of the
    /// <paramref name="channelBlocks"/> channel blocks i): pixels 8j + 2 x fragment word (+ 1) of the warp's block;
    /// <paramref name="channel"/> and <paramref name="pixel"/> are those of tile 0.
    /// </summary>
    private static void StorePixelTile<TTarget, TLayout>(ArrayView<float> output, ArrayView<float> bias, ConvShape shape, int group,
        in WarpAccumulators accumulators, int channelBlocks, int pixelTile, int channel, int pixel)
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
    {
        int tilePixel = pixel + pixelTile * 8;
        StoreTile<TTarget, TLayout>(output, bias, shape, group, accumulators, pixelTile, channel, tilePixel);
        StoreTile<TTarget, TLayout>(output, bias, shape, group, accumulators, PixelTiles + pixelTile, channel + 16, tilePixel);
        if (channelBlocks == 4)
        {
            StoreTile<TTarget, TLayout>(output, bias, shape, group, accumulators, 2 * PixelTiles + pixelTile, channel + 32, tilePixel);
            StoreTile<TTarget, TLayout>(output, bias, shape, group, accumulators, 3 * PixelTiles + pixelTile, channel + 48, tilePixel);
        }
    }

    /// <summary>
    /// Writes this thread's four outputs of mma tile <paramref name="tile"/> (4i + j): channels
    /// <paramref name="channel"/> (+ 8), pixels <paramref name="pixel"/> (+ 1).
    /// </summary>
    private static void StoreTile<TTarget, TLayout>(ArrayView<float> output, ArrayView<float> bias, ConvShape shape, int group,
        in WarpAccumulators accumulators, int tile, int channel, int pixel)
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
    {
        TileResults sums = accumulators.Tile<TTarget>(tile);
        ConvOutput.Store<TLayout>(output, bias, shape, group, channel, pixel, sums.E0);
        ConvOutput.Store<TLayout>(output, bias, shape, group, channel, pixel + 1, sums.E1);
        ConvOutput.Store<TLayout>(output, bias, shape, group, channel + 8, pixel, sums.E2);
        ConvOutput.Store<TLayout>(output, bias, shape, group, channel + 8, pixel + 1, sums.E3);
    }
}
