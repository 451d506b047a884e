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
/// for 2 or 4, so the wider warp block reads 1.5 shared-memory wavefronts per mma where the 32 x 32 one reads 2. A
/// third kernel, which only the GPU check and the tests run (<see cref="RunWide"/>), computes the 128 x 128 tile with a
/// group of 128 threads (4 warps), each warp a 64 x 64 block as 4 x 8 mma tiles (128 registers a thread): an A
/// fragment feeds 8 mma and a B fragment 4, 1 wavefront per mma, and each thread stages twice as much. The
/// group walks K one step at a time: it stages 16 rows of 32-bit words of W (k x tile channels) and of X (k x tile
/// pixels) in shared memory, each word one TF32 value or two FP16 values (16 or 32 k a step), then each warp runs
/// 2 or 4 x 8 mma, each on 8 word rows.
/// The slices form a ring and each step starts at one barrier: past it, a thread starts staging its share of a later
/// step into the slice every warp finished reading before the barrier, and runs this step's mma while that is under way.
/// <c>TCopies</c> says how (<see cref="IStagingCopies"/>): step s + 1, loaded into registers before the mma and stored
/// into the other of 2 slices after them (<see cref="RegisterCopies"/>), or step s + 2, copied by <c>cp.async</c> into
/// a ring of 3, which holds no registers and has two steps' mma to land in (<see cref="AsyncCopies"/>).
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

    /// <summary>Threads per group of <see cref="RunWide"/>: 4 warps, each computing 64 x 64 outputs of a 128 x 128 tile.</summary>
    public const int WideThreads = 128;

    /// <summary>
    /// Resident groups per SM <see cref="RunLarge"/> and <see cref="RunWide"/> are compiled for (<see cref="GroupedKernels"/>):
    /// 2, so that one group can issue while the other's warps wait at their barrier. It holds the large kernel to 128
    /// registers, which ptxas 11.8 meets without spilling (126 on sm_90 with the 64 accumulators, through registers or
    /// by asynchronous copies), and the wide one, with half the threads, to 256 (240 on sm_90 with its 128 accumulators).
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

    /// <summary>
    /// Slices of the ring <see cref="AsyncCopies"/> stage into: 3, so that a step's copies have two steps' mma to land
    /// in. With 128 x 128 tiles that is 48 KB of shared memory, the most a group may declare statically.
    /// </summary>
    private const int AsyncSlices = 3;

    private const int WarpSize = 32;

    /// <summary>16-byte lanes of one channel block's fragments in a step: its two word blocks, 32 lanes each.</summary>
    private const int BlockLanesPerStep = MmaWeightLayout.BlocksPerStep * WarpSize;

    /// <summary>The launch of <see cref="Run"/>: one group per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig Config(ConvShape shape, int groups) => GemmTile.Config(shape, groups, Threads, TileSize);

    /// <summary>The launch of <see cref="RunLarge"/>: one group per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig LargeConfig(ConvShape shape, int groups) => GemmTile.Config(shape, groups, LargeThreads, LargeTileSize);

    /// <summary>The launch of <see cref="RunWide"/>: one group per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig WideConfig(ConvShape shape, int groups) => GemmTile.Config(shape, groups, WideThreads, LargeTileSize);

    /// <summary>The layer with 64 x 64 tiles, launched with <see cref="Config"/>.</summary>
    /// <param name="input">N x InHeight x InWidth x InChannels.</param>
    /// <param name="weights">The words of <see cref="MmaWeightLayout"/> in <typeparamref name="TFormat"/>, as floats, 16-byte aligned.</param>
    /// <param name="bias">OutChannels.</param>
    /// <param name="output">N x OutHeight x OutWidth x OutChannels.</param>
    /// <param name="shape">The layer's shapes for this batch.</param>
    /// <param name="addresses">Where <paramref name="input"/> and <paramref name="weights"/> start on the device, for <see cref="AsyncCopies"/>.</param>
    public static void Run<TFormat, TTarget, TLayout, TReads, TCopies>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output,
        ConvShape shape, OperandAddresses addresses)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
        where TCopies : struct, IStagingCopies =>
        Multiply<TFormat, TTarget, TLayout, TReads, TCopies>(input, weights, bias, output, shape, addresses, TileSize, Threads, warpChannels: 32, warpPixels: 32);

    /// <summary>The layer with 128 x 128 tiles, launched with <see cref="LargeConfig"/>; parameters as <see cref="Run"/>'s.</summary>
    public static void RunLarge<TFormat, TTarget, TLayout, TReads, TCopies>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output,
        ConvShape shape, OperandAddresses addresses)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
        where TCopies : struct, IStagingCopies =>
        Multiply<TFormat, TTarget, TLayout, TReads, TCopies>(input, weights, bias, output, shape, addresses, LargeTileSize, LargeThreads, warpChannels: 64, warpPixels: 32);

    /// <summary>
    /// The layer with 128 x 128 tiles as 4 warps of 64 x 64 outputs (128 accumulators a thread), launched with
    /// <see cref="WideConfig"/>; parameters as <see cref="Run"/>'s.
    /// </summary>
    public static void RunWide<TFormat, TTarget, TLayout, TReads, TCopies>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output,
        ConvShape shape, OperandAddresses addresses)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
        where TCopies : struct, IStagingCopies =>
        Multiply<TFormat, TTarget, TLayout, TReads, TCopies>(input, weights, bias, output, shape, addresses, LargeTileSize, WideThreads, warpChannels: 64, warpPixels: 64);

    /// <summary>
    /// The kernel body for a square tile of <paramref name="size"/> channels and pixels computed by <paramref name="threads"/>
    /// threads (twice its pixels, or as many), each warp <paramref name="warpChannels"/> channels by <paramref name="warpPixels"/>
    /// pixels: constants of the entry point, which ILGPU folds once it inlines this, the shared-memory sizes too.
    /// </summary>
    private static void Multiply<TFormat, TTarget, TLayout, TReads, TCopies>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output,
        ConvShape shape, OperandAddresses addresses, int size, int threads, int warpChannels, int warpPixels)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
        where TCopies : struct, IStagingCopies
    {
        var format = default(TFormat);
        TensorCoreStaging kind = default(TCopies).Kind;
        bool async = kind == TensorCoreStaging.AsyncCopies;
        int weightSliceLanes = size / MmaWeightLayout.BlockChannels * BlockLanesPerStep;
        int inputSliceLines = LinesPerStep * size;
        // A ring of slices: 2 through registers, 3 by asynchronous copies, which hold no registers for the step in flight.
        int slices = async ? AsyncSlices : 2;
        // One allocation, the kernel's only one on CUDA, which AsyncCopies' PTX names (CopyLine): W's slices, then X's.
        ArrayView<Words4> staged = SharedMemory.Allocate<Words4>(slices * (weightSliceLanes + inputSliceLines));
        int inputStart = slices * weightSliceLanes;
        ArrayView<Words4> weightSlices = staged.SubView(0, inputStart); // [slice][channel block][word block][lane]
        ArrayView<Words4> inputSlices = staged.SubView(inputStart, slices * inputSliceLines); // [slice][line][pixel]: pair rows 2 line, 2 line + 1

        int thread = Group.IdxX;
        var tile = new GemmTile(shape, thread, size);
        int steps = MmaWeightLayout.Steps(shape.InPerGroup, format.ValuesPerWord);

        // This thread's place in its warp's block (warpChannels x warpPixels) and in the mma fragments.
        int warp = thread / WarpSize;
        int lane = thread % WarpSize;
        int warpsPerRow = size / warpPixels;
        int warpChannel = warp / warpsPerRow * warpChannels;
        int warpPixel = warp % warpsPerRow * warpPixels;
        int channelBlocks = warpChannels / MmaWeightLayout.BlockChannels;
        int pixelTiles = warpPixels / 8;
        int fragmentRow = lane / 4;
        int fragmentWord = lane % 4;

        // The line of a step's 4 this thread stages, at two pixels of the tile, half a tile apart (at four, a quarter
        // apart, where the group has as many threads as the tile has pixels): the four threads of a pixel are neighbours
        // in their warp, so that together they read its channels as one run.
        int stagedLine = thread % LinesPerStep;
        int stagedPixel = thread / LinesPerStep;
        // W lanes and X lines a thread stages each step: 2, or 4 where the group has as many threads as the tile has pixels.
        int shares = LinesPerStep * size / threads;
        var staging = new Staging<TFormat, TTarget, TLayout, TReads>(tile, input, weights, addresses, shape, thread, threads, shares, stagedPixel, stagedLine, steps);
        int storeAt = stagedLine * size + stagedPixel;
        if (async)
        {
            // Every slice but the last is filled ahead: steps 0 and 1.
            staging.Copy(0, thread, inputStart + storeAt, staged);
            staging.Copy(1, weightSliceLanes + thread, inputStart + inputSliceLines + storeAt, staged);
        }
        else
            staging.Load(0).Store(weightSlices, inputSlices, thread, threads, shares, storeAt);

        var accumulators = WarpAccumulators.Create<TTarget>();
        // The lanes of the warp's channel blocks' fragments in a slice, for the step's first word block, and the
        // pair of this lane's B fragments in the first pixel tile: pixel g of line t / 2, its pair row t % 2.
        int fragments = warpChannel / MmaWeightLayout.BlockChannels * BlockLanesPerStep + lane;
        int fragmentPairs = (fragmentWord / 2 * size + warpPixel + fragmentRow) * 2 + fragmentWord % 2;
        ArrayView<Words2> inputPairs = inputSlices.Cast<Words2>();
        // Where this thread's first output lies: made before the loop, so that only these live through it.
        int channel = tile.FirstChannel + warpChannel + fragmentRow;
        int pixel = tile.FirstPixel + warpPixel + 2 * fragmentWord;
        int group = tile.ConvGroup;
        int slice = 0;
        for (int step = 0; step < steps; step++)
        {
            // This step's slice is whole once every thread's share of it has landed (with 3 slices, the copies of the next
            // step may still be under way); and every warp is done with the slice this step's staging overwrites, which
            // it read in the previous step.
            if (async)
                WaitForCopiesButOne<TTarget>();
            Group.Barrier();
            // The share of a later step (zeros past K, and the last step again after it) is in flight while this step's
            // mma run: step s + 2 copied into the slice before this one (AsyncCopies), or step s + 1 loaded into registers
            // now and stored into the other slice after them.
            StagedWords next = default;
            if (async)
            {
                int fill = slice == 0 ? AsyncSlices - 1 : slice - 1;
                staging.Copy(step + AsyncSlices - 1, fill * weightSliceLanes + thread, inputStart + fill * inputSliceLines + storeAt, staged);
            }
            else
                next = staging.Load(step + 1);
            // Views from this lane's first fragment words of the slice, read at constant offsets (ViewExtensions.From).
            ArrayView<Words4> weightFragments = weightSlices.From(slice * weightSliceLanes + fragments);
            ArrayView<Words2> inputFragments = inputPairs.From(slice * inputSliceLines * 2 + fragmentPairs);
            MultiplyWordBlock(format, ref accumulators, weightFragments, inputFragments, size, channelBlocks, pixelTiles, 0);
            MultiplyWordBlock(format, ref accumulators, weightFragments, inputFragments, size, channelBlocks, pixelTiles, 1);
            slice = async ? (slice == AsyncSlices - 1 ? 0 : slice + 1) : 1 - slice;
            if (!async)
                next.Store(weightSlices.SubView(slice * weightSliceLanes, weightSliceLanes), inputSlices.SubView(slice * inputSliceLines, inputSliceLines),
                    thread, threads, shares, storeAt);
        }
        // No copy may still be landing in this group's shared memory when it exits.
        if (async)
            WaitForCopies<TTarget>();

        // One call per pixel tile, and in it one per mma tile, so that each names its accumulator registers with constants
        // (ILGPU does not unroll a loop over them, and a run-time tile index would need a 128-way switch).
        StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, channelBlocks, pixelTiles, 0, channel, pixel);
        StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, channelBlocks, pixelTiles, 1, channel, pixel);
        StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, channelBlocks, pixelTiles, 2, channel, pixel);
        StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, channelBlocks, pixelTiles, 3, channel, pixel);
        if (pixelTiles == 8)
        {
            StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, channelBlocks, pixelTiles, 4, channel, pixel);
            StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, channelBlocks, pixelTiles, 5, channel, pixel);
            StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, channelBlocks, pixelTiles, 6, channel, pixel);
            StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, channelBlocks, pixelTiles, 7, channel, pixel);
        }
    }

    /// <summary>
    /// The warp's <paramref name="channelBlocks"/> x <paramref name="pixelTiles"/> mma (2 or 4 by 4 or 8, constants) on
    /// word block <paramref name="block"/> of the staged step: A fragments of its channel blocks from
    /// <paramref name="weights"/> (lane-major, <see cref="BlockLanesPerStep"/> lanes a channel block), B fragments of its
    /// pixel tiles from <paramref name="inputs"/> (pair row t of the block, words t and t + 4 at once, pixel g and g + 8,
    /// + 16, and so on; a word block is 2 lines of <paramref name="size"/> pixels, each 2 pairs). Called with a constant
    /// block, so every index is a constant.
    /// </summary>
    private static void MultiplyWordBlock<TFormat>(TFormat format, ref WarpAccumulators accumulators, ArrayView<Words4> weights, ArrayView<Words2> inputs,
        int size, int channelBlocks, int pixelTiles, int block)
        where TFormat : struct, ITensorCoreFormat
    {
        int row = block * 4 * size;
        Words2 b0 = inputs[row], b1 = inputs[row + 16], b2 = inputs[row + 32], b3 = inputs[row + 48];
        Words2 b4 = default, b5 = default, b6 = default, b7 = default;
        if (pixelTiles == 8)
            (b4, b5, b6, b7) = (inputs[row + 64], inputs[row + 80], inputs[row + 96], inputs[row + 112]);
        var b = new PixelTileFragments(b0, b1, b2, b3, b4, b5, b6, b7);
        int lanes = block * WarpSize;
        Words4 a0 = weights[lanes], a1 = weights[BlockLanesPerStep + lanes];
        MultiplyChannelBlock(format, ref accumulators, a0, b, pixelTiles, 0);
        MultiplyChannelBlock(format, ref accumulators, a1, b, pixelTiles, 1);
        if (channelBlocks == 4)
        {
            Words4 a2 = weights[2 * BlockLanesPerStep + lanes], a3 = weights[3 * BlockLanesPerStep + lanes];
            MultiplyChannelBlock(format, ref accumulators, a2, b, pixelTiles, 2);
            MultiplyChannelBlock(format, ref accumulators, a3, b, pixelTiles, 3);
        }
    }

    /// <summary>
    /// The <paramref name="pixelTiles"/> mma of channel block <paramref name="channelBlock"/> (constants): its A fragment
    /// <paramref name="a"/> by each pixel tile's B fragment, into mma tiles <c>channelBlock x pixelTiles + j</c>.
    /// </summary>
    private static void MultiplyChannelBlock<TFormat>(TFormat format, ref WarpAccumulators accumulators, Words4 a, in PixelTileFragments b, int pixelTiles,
        int channelBlock)
        where TFormat : struct, ITensorCoreFormat
    {
        int tile = channelBlock * pixelTiles;
        format.MultiplyAccumulate(ref accumulators, tile, a.W0, a.W1, a.W2, a.W3, b.B0.W0, b.B0.W1);
        format.MultiplyAccumulate(ref accumulators, tile + 1, a.W0, a.W1, a.W2, a.W3, b.B1.W0, b.B1.W1);
        format.MultiplyAccumulate(ref accumulators, tile + 2, a.W0, a.W1, a.W2, a.W3, b.B2.W0, b.B2.W1);
        format.MultiplyAccumulate(ref accumulators, tile + 3, a.W0, a.W1, a.W2, a.W3, b.B3.W0, b.B3.W1);
        if (pixelTiles == 8)
        {
            format.MultiplyAccumulate(ref accumulators, tile + 4, a.W0, a.W1, a.W2, a.W3, b.B4.W0, b.B4.W1);
            format.MultiplyAccumulate(ref accumulators, tile + 5, a.W0, a.W1, a.W2, a.W3, b.B5.W0, b.B5.W1);
            format.MultiplyAccumulate(ref accumulators, tile + 6, a.W0, a.W1, a.W2, a.W3, b.B6.W0, b.B6.W1);
            format.MultiplyAccumulate(ref accumulators, tile + 7, a.W0, a.W1, a.W2, a.W3, b.B7.W0, b.B7.W1);
        }
    }

    /// <summary>
    /// Writes this thread's outputs of pixel tile <paramref name="pixelTile"/> (mma tiles i x <paramref name="pixelTiles"/> + j
    /// of the <paramref name="channelBlocks"/> channel blocks i): pixels 8j + 2 x fragment word (+ 1) of the warp's block;
    /// <paramref name="channel"/> and <paramref name="pixel"/> are those of tile 0.
    /// </summary>
    private static void StorePixelTile<TTarget, TLayout>(ArrayView<float> output, ArrayView<float> bias, ConvShape shape, int group,
        in WarpAccumulators accumulators, int channelBlocks, int pixelTiles, int pixelTile, int channel, int pixel)
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
    {
        int tilePixel = pixel + pixelTile * 8;
        StoreTile<TTarget, TLayout>(output, bias, shape, group, accumulators, pixelTile, channel, tilePixel);
        StoreTile<TTarget, TLayout>(output, bias, shape, group, accumulators, pixelTiles + pixelTile, channel + 16, tilePixel);
        if (channelBlocks == 4)
        {
            StoreTile<TTarget, TLayout>(output, bias, shape, group, accumulators, 2 * pixelTiles + pixelTile, channel + 32, tilePixel);
            StoreTile<TTarget, TLayout>(output, bias, shape, group, accumulators, 3 * pixelTiles + pixelTile, channel + 48, tilePixel);
        }
    }

    /// <summary>
    /// Writes this thread's four outputs of mma tile <paramref name="tile"/> (i * 4 + j): channels
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
