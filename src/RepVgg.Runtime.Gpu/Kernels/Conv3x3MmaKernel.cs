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
internal static class Conv3x3MmaKernel
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
    /// What a thread stages each step (2 or 4 shares, a constant): 16-byte lanes <c>thread</c>, <c>thread + threads</c>,
    /// and so on, of the W slice, and one line of X at as many pixels of the tile, threads / 4 apart; a line is two pair
    /// rows, 4 words, each word one TF32 value or two FP16 values.
    /// </summary>
    private readonly struct Staging<TFormat, TTarget, TLayout, TReads>
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
    {
        // The columns of X at the thread's pixels (the last two with 4 shares only).
        private readonly InputGather<TLayout> _gather0, _gather1, _gather2, _gather3;
        private readonly ArrayView<float> _input;
        private readonly ArrayView<Words4> _inputLines;
        private readonly ArrayView<Words4> _fragments;
        private readonly OperandAddresses _addresses;
        private readonly ConvShape _shape;
        private readonly TapMajorK _k;
        // The word block of the thread's line in a step (0 or 1), and the line's first channel in the word block.
        private readonly int _block, _blockChannel;
        private readonly int _lastStep;
        // Where this thread's W lanes of step 0 lie in the layout; a step's are BlockLanesPerStep further on.
        private readonly int _weightLane0, _weightLane1, _weightLane2, _weightLane3;
        private readonly int _threads, _shares;

        /// <param name="threads">The group's threads: a W slice has 2 or 4 times as many lanes, and the tile as many times as many pixels.</param>
        /// <param name="shares">W lanes and X pixels the thread stages: 4 x tile pixels / <paramref name="threads"/>, 2 or 4.</param>
        /// <param name="pixel">The first of the tile's pixels whose column of X the thread stages; the others are <paramref name="threads"/> / 4 apart.</param>
        /// <param name="line">The thread's line of a step (0 to 3).</param>
        public Staging(GemmTile tile, ArrayView<float> input, ArrayView<float> weights, OperandAddresses addresses, ConvShape shape, int thread, int threads,
            int shares, int pixel, int line, int steps)
        {
            int valuesPerWord = default(TFormat).ValuesPerWord;
            int pixelStride = threads / LinesPerStep;
            _gather0 = tile.Gather<TLayout>(shape, pixel);
            _gather1 = tile.Gather<TLayout>(shape, pixel + pixelStride);
            _gather2 = shares == 4 ? tile.Gather<TLayout>(shape, pixel + 2 * pixelStride) : default;
            _gather3 = shares == 4 ? tile.Gather<TLayout>(shape, pixel + 3 * pixelStride) : default;
            _input = input;
            _inputLines = input.Cast<Words4>();
            _fragments = weights.Cast<Words4>();
            _addresses = addresses;
            _shape = shape;
            _k = new TapMajorK(MmaWeightLayout.ChannelsPerTap(shape.InPerGroup, valuesPerWord));
            _block = line / 2;
            _blockChannel = line % 2 * default(TLayout).ValuesPerLine;
            _lastStep = steps - 1;
            int channelBlocks = MmaWeightLayout.ChannelBlocks(shape.OutPerGroup);
            int firstBlock = tile.ConvGroup * channelBlocks;
            int lastBlock = firstBlock + channelBlocks - 1;
            int tileBlock = firstBlock + tile.FirstChannel / MmaWeightLayout.BlockChannels;
            int stepLanes = steps * BlockLanesPerStep;
            _weightLane0 = WeightLane(thread, tileBlock, lastBlock, stepLanes);
            _weightLane1 = WeightLane(thread + threads, tileBlock, lastBlock, stepLanes);
            _weightLane2 = shares == 4 ? WeightLane(thread + 2 * threads, tileBlock, lastBlock, stepLanes) : 0;
            _weightLane3 = shares == 4 ? WeightLane(thread + 3 * threads, tileBlock, lastBlock, stepLanes) : 0;
            _threads = threads;
            _shares = shares;
        }

        /// <summary>Where lane <paramref name="lane"/> of a W slice lies in the layout at step 0; a block past M reads the group's last.</summary>
        private static int WeightLane(int lane, int tileBlock, int lastBlock, int stepLanes)
        {
            int block = Math.Min(tileBlock + lane / BlockLanesPerStep, lastBlock);
            return block * stepLanes + lane % BlockLanesPerStep;
        }

        /// <summary>
        /// The tap and first channel of the thread's line in step <paramref name="step"/>: its word block lies at one tap,
        /// found once for all its pixels, and the line is consecutive channels there.
        /// </summary>
        private (int Tap, int Channel) LineAt(int step)
        {
            int k = (step * MmaWeightLayout.BlocksPerStep + _block) * MmaWeightLayout.BlockWords * default(TFormat).ValuesPerWord;
            int tap = _k.Tap(k);
            return (tap, _k.Channel(k, tap) + _blockChannel);
        }

        /// <summary>Where the thread's line lies at the pixel of <paramref name="gather"/>.</summary>
        private LineReads Reads(InputGather<TLayout> gather, (int Tap, int Channel) at) =>
            new(gather.AtTap(_shape, at.Tap), at.Channel, _shape, default(TLayout).ValuesPerLine);

        /// <summary>The step of the layout's W lanes a step stages: the last past it.</summary>
        private int WeightStep(int step) => Math.Min(step, _lastStep) * BlockLanesPerStep;

        /// <summary>The thread's share of step <paramref name="step"/>, into registers: X's words zero past K; W's lanes of the last step past it.</summary>
        public StagedWords Load(int step)
        {
            int weightStep = WeightStep(step);
            (int Tap, int Channel) at = LineAt(step);
            Words4 weights0 = _fragments[_weightLane0 + weightStep], weights1 = _fragments[_weightLane1 + weightStep];
            Words4 inputs0 = InputLine(Reads(_gather0, at)), inputs1 = InputLine(Reads(_gather1, at));
            Words4 weights2 = default, weights3 = default, inputs2 = default, inputs3 = default;
            if (_shares == 4)
            {
                (weights2, weights3) = (_fragments[_weightLane2 + weightStep], _fragments[_weightLane3 + weightStep]);
                (inputs2, inputs3) = (InputLine(Reads(_gather2, at)), InputLine(Reads(_gather3, at)));
            }
            return new StagedWords(weights0, weights1, weights2, weights3, inputs0, inputs1, inputs2, inputs3);
        }

        /// <summary>
        /// The thread's share of step <paramref name="step"/> (as <see cref="Load"/> reads it) copied into the kernel's
        /// shared memory, <paramref name="staged"/>, by <see cref="AsyncCopies"/>: W lanes <paramref name="weightAt"/>,
        /// + threads, and so on, X lines <paramref name="inputAt"/>, + threads / 4, and so on (its pixels), all counted in
        /// 16-byte lines from its start. On CUDA the copies run on while the thread goes on; elsewhere they are made at once.
        /// </summary>
        public void Copy(int step, int weightAt, int inputAt, ArrayView<Words4> staged)
        {
            int weightStep = WeightStep(step);
            int pixelStride = _threads / LinesPerStep;
            CopyLine<TTarget>(staged, weightAt, _fragments, _addresses.Weights, _weightLane0 + weightStep, read: true, weights: true);
            CopyLine<TTarget>(staged, weightAt + _threads, _fragments, _addresses.Weights, _weightLane1 + weightStep, read: true, weights: true);
            (int Tap, int Channel) at = LineAt(step);
            CopyInputLine(staged, inputAt, Reads(_gather0, at));
            CopyInputLine(staged, inputAt + pixelStride, Reads(_gather1, at));
            if (_shares == 4)
            {
                CopyLine<TTarget>(staged, weightAt + 2 * _threads, _fragments, _addresses.Weights, _weightLane2 + weightStep, read: true, weights: true);
                CopyLine<TTarget>(staged, weightAt + 3 * _threads, _fragments, _addresses.Weights, _weightLane3 + weightStep, read: true, weights: true);
                CopyInputLine(staged, inputAt + 2 * pixelStride, Reads(_gather2, at));
                CopyInputLine(staged, inputAt + 3 * pixelStride, Reads(_gather3, at));
            }
            CommitCopies<TTarget>();
        }

        private void CopyInputLine(ArrayView<Words4> staged, int at, LineReads reads) =>
            CopyLine<TTarget>(staged, at, _inputLines, _addresses.Input, reads.Line, reads.Present, weights: false);

        /// <summary>
        /// The thread's line (pair rows 2 line and 2 line + 1) at one pixel: one load with <see cref="VectorReads"/>, as
        /// it lies; one per channel otherwise, each packed through the format.
        /// </summary>
        private Words4 InputLine(LineReads reads)
        {
            if (default(TReads).Vector)
                return reads.Present ? _inputLines[reads.Line] : default;
            int channel = reads.Channel;
            TapWindow window = reads.Window;
            if (default(TFormat).ValuesPerWord == 1)
                return new Words4(Pack(window, channel), Pack(window, channel + 1), Pack(window, channel + 2), Pack(window, channel + 3));
            return new Words4(PackTwo(window, channel), PackTwo(window, channel + 2), PackTwo(window, channel + 4), PackTwo(window, channel + 6));
        }

        /// <summary>A TF32 word: channel <paramref name="channel"/>, read alone and packed through the format.</summary>
        private uint Pack(TapWindow window, int channel) => default(TFormat).Pack(Load(window, channel), 0f);

        /// <summary>An FP16 word: channels <paramref name="channel"/> and + 1, read one at a time and packed through the format.</summary>
        private uint PackTwo(TapWindow window, int channel) => default(TFormat).Pack(Load(window, channel), Load(window, channel + 1));

        private float Load(TapWindow window, int channel) => InputGather<TLayout>.Load(_input, _shape, window, channel);
    }

    /// <summary>
    /// Where a thread reads its line at one pixel: the tap window and the first channel (one value at a time), or, for
    /// vector reads, the index of the 16-byte line (4 float32 or 8 half values) from that channel, when the line is
    /// present: inside the image and within the group's channels (its padding per tap reads zeros). An absent line's
    /// index is 0, so that no address is ever past the input (ILGPU's CPU accelerator checks views, and a kernel that
    /// throws there leaves its group's other threads at a barrier for ever).
    /// </summary>
    private readonly struct LineReads
    {
        public readonly TapWindow Window;
        public readonly int Channel, Line;
        public readonly bool Present;

        public LineReads(TapWindow window, int channel, ConvShape shape, int valuesPerLine)
        {
            Window = window;
            Channel = channel;
            Present = window.Inside && channel < shape.InPerGroup;
            Line = Present ? (window.Offset + channel) / valuesPerLine : 0;
        }
    }

    /// <summary>
    /// A thread's staged share of a step, held in registers between its loads and its stores (named fields: an array would
    /// live in local memory); the last two of each operand with 4 shares only.
    /// </summary>
    private readonly struct StagedWords(Words4 weights0, Words4 weights1, Words4 weights2, Words4 weights3,
        Words4 inputs0, Words4 inputs1, Words4 inputs2, Words4 inputs3)
    {
        private readonly Words4 _weights0 = weights0, _weights1 = weights1, _weights2 = weights2, _weights3 = weights3;
        private readonly Words4 _inputs0 = inputs0, _inputs1 = inputs1, _inputs2 = inputs2, _inputs3 = inputs3;

        /// <summary>
        /// Into a slice of both operands: W lanes <paramref name="thread"/>, + <paramref name="threads"/>, and so on, X lines
        /// <paramref name="at"/> (the thread's line at its first pixel), + threads / 4, and so on (at its others).
        /// </summary>
        public void Store(ArrayView<Words4> weightSlice, ArrayView<Words4> inputSlice, int thread, int threads, int shares, int at)
        {
            // At constant offsets from one address each (threads and shares are the kernel's constants).
            ArrayView<Words4> lanes = weightSlice.From(thread);
            ArrayView<Words4> lines = inputSlice.From(at);
            int pixelStride = threads / LinesPerStep;
            lanes[0] = _weights0;
            lanes[threads] = _weights1;
            lines[0] = _inputs0;
            lines[pixelStride] = _inputs1;
            if (shares == 4)
            {
                lanes[2 * threads] = _weights2;
                lanes[3 * threads] = _weights3;
                lines[2 * pixelStride] = _inputs2;
                lines[3 * pixelStride] = _inputs3;
            }
        }
    }

    /// <summary>
    /// <see cref="AsyncCopies"/>: 16-byte line <paramref name="index"/> of <paramref name="source"/>, which starts at
    /// <paramref name="address"/> on the device, or zeros unless <paramref name="read"/>, into line <paramref name="at"/> of
    /// <paramref name="staged"/>, the kernel's only shared allocation (<c>__shared_alloca0</c> in ILGPU's PTX): with PTX,
    /// a <c>cp.async</c> that reads 16 bytes or none and fills the rest with zeros; elsewhere, a load and a store.
    /// Weights (<paramref name="weights"/>, a constant) bypass L1, as a group reads each of their lines once; the
    /// activations go through it, as the windows of neighbouring pixels read the same input at other taps.
    /// </summary>
    private static void CopyLine<TTarget>(ArrayView<Words4> staged, int at, ArrayView<Words4> source, long address, int index, bool read, bool weights)
        where TTarget : struct, ITensorCoreTarget
    {
        if (!default(TTarget).UsesPtx)
        {
            staged[at] = read ? source[index] : default;
            return;
        }
        if (weights)
            CudaAsm.Emit("{ .reg .u64 rvdst, rvsrc; mov.b64 rvdst, __shared_alloca0; cvt.s64.s32 rvsrc, %0; add.s64 rvdst, rvdst, rvsrc; cvta.to.global.u64 rvsrc, %1; cp.async.cg.shared.global [rvdst], [rvsrc], 16; }",
                at * 16, address + index * 16L);
        else
            CudaAsm.Emit("{ .reg .u64 rvdst, rvsrc; mov.b64 rvdst, __shared_alloca0; cvt.s64.s32 rvsrc, %0; add.s64 rvdst, rvdst, rvsrc; cvta.to.global.u64 rvsrc, %1; cp.async.ca.shared.global [rvdst], [rvsrc], 16, %2; }",
                at * 16, address + index * 16L, read ? 16 : 0);
    }

    /// <summary><see cref="AsyncCopies"/>: closes the thread's copies of a step into one group (PTX; nothing to do elsewhere).</summary>
    private static void CommitCopies<TTarget>() where TTarget : struct, ITensorCoreTarget
    {
        if (default(TTarget).UsesPtx)
            CudaAsm.Emit("cp.async.commit_group;");
    }

    /// <summary><see cref="AsyncCopies"/>: waits until all the thread's copies have landed (PTX; they have elsewhere).</summary>
    private static void WaitForCopies<TTarget>() where TTarget : struct, ITensorCoreTarget
    {
        if (default(TTarget).UsesPtx)
            CudaAsm.Emit("cp.async.wait_group 0;");
    }

    /// <summary>
    /// <see cref="AsyncCopies"/>: waits until the thread's copies have landed but for the last step's it committed
    /// (<see cref="AsyncSlices"/> - 2 = 1 group in flight; PTX, they have elsewhere). A barrier then makes the group's visible.
    /// </summary>
    private static void WaitForCopiesButOne<TTarget>() where TTarget : struct, ITensorCoreTarget
    {
        if (default(TTarget).UsesPtx)
            CudaAsm.Emit("cp.async.wait_group 1;");
    }

    /// <summary>Four 32-bit words: a lane's A fragment (a0 to a3).</summary>
    private readonly struct Words4(uint w0, uint w1, uint w2, uint w3)
    {
        public readonly uint W0 = w0, W1 = w1, W2 = w2, W3 = w3;
    }

    /// <summary>Two 32-bit words: word rows t and t + 4 of a word block at one pixel, a lane's B fragment (b0, b1).</summary>
    private readonly struct Words2(uint w0, uint w1)
    {
        public readonly uint W0 = w0, W1 = w1;
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

    /// <summary>A lane's B fragments of a word block, one per pixel tile of its warp (the last 4 only with 64-pixel warp blocks).</summary>
    private readonly struct PixelTileFragments(Words2 b0, Words2 b1, Words2 b2, Words2 b3, Words2 b4, Words2 b5, Words2 b6, Words2 b7)
    {
        public readonly Words2 B0 = b0, B1 = b1, B2 = b2, B3 = b3, B4 = b4, B5 = b5, B6 = b6, B7 = b7;
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

/// <summary>How <see cref="Conv3x3MmaKernel"/> reads the channels of a B fragment from the channels-last input.</summary>
internal interface IChannelReads
{
    /// <summary>Whether one 8-byte (TF32) or 16-byte (FP16) load reads them all.</summary>
    bool Vector { get; }
}

/// <summary>
/// One 16-byte load per 4 float32 or 8 half channels: for groups of a multiple of that many input channels
/// (<see cref="Of"/>), every RepVGG layer past the stem.
/// </summary>
internal readonly struct VectorReads : IChannelReads
{
    public bool Vector => true;

    /// <summary>
    /// Whether a layer's loads can be vectors: its groups' channels a multiple of a 16-byte line's
    /// <paramref name="valuesPerLine"/> keep them aligned and whole within a group.
    /// </summary>
    public static bool Of(ConvShape shape, int valuesPerLine) => shape.InPerGroup % valuesPerLine == 0;
}

/// <summary>One load per channel: for any other group.</summary>
internal readonly struct ScalarReads : IChannelReads
{
    public bool Vector => false;
}

/// <summary>Which <see cref="IStagingCopies"/> an engine's tensor-core kernel runs with: for the GPU check's comparison and tests.</summary>
internal enum TensorCoreStaging
{
    /// <summary><see cref="RegisterCopies"/>: what the engine does.</summary>
    Registers,

    /// <summary><see cref="AsyncCopies"/>, where a layer's groups read whole 16-byte lines (<see cref="VectorReads"/>, every RepVGG layer past the stem).</summary>
    AsyncCopies,
}

/// <summary>
/// How <see cref="Conv3x3MmaKernel"/> moves a step's share of W and X from global into shared memory: through
/// registers (<see cref="RegisterCopies"/>, the engine's default, which the H200 has run) or by asynchronous copies
/// (<see cref="AsyncCopies"/>), timed against each other by the GPU check, or not at all (<see cref="NoCopies"/>, the
/// check's probe). Each is its own kernel, which tests its <see cref="Kind"/>, a constant.
/// </summary>
internal interface IStagingCopies
{
    /// <summary>Which staging this is, as engines and the GPU check name it.</summary>
    TensorCoreStaging Kind { get; }
}

/// <summary>
/// A thread loads its share of the next step into registers before the step's mma and stores it into the other slice
/// after them: the loads' latency hides behind the mma, at the price of the registers that hold them and of a load and a
/// store instruction per 16 bytes.
/// </summary>
internal readonly struct RegisterCopies : IStagingCopies
{
    public TensorCoreStaging Kind => TensorCoreStaging.Registers;
}

/// <summary>
/// A thread issues <c>cp.async</c> copies of its share of the next step straight into the other slice before the step's
/// mma (sm_80 and newer, as the tensor-core kernels need anyway) and waits for them before the next barrier: no
/// registers hold the share, and one instruction moves 16 bytes. The kernel takes the device addresses of its input
/// and weights for them (<see cref="OperandAddresses"/>), as ILGPU gives a kernel no pointer it can hand to PTX. On
/// ILGPU's CPU accelerator, the same copies are plain loads and stores into the same places.
/// </summary>
internal readonly struct AsyncCopies : IStagingCopies
{
    public TensorCoreStaging Kind => TensorCoreStaging.AsyncCopies;
}

/// <summary>Where a layer's input and weights start on the device: <see cref="AsyncCopies"/> reads from these addresses.</summary>
internal readonly record struct OperandAddresses(long Input, long Weights)
{
    /// <summary>The addresses of the views a kernel call is given (host side).</summary>
    public static OperandAddresses Of(ArrayView<float> input, ArrayView<float> weights) =>
        new(input.LoadEffectiveAddressAsPtr().ToInt64(), weights.LoadEffectiveAddressAsPtr().ToInt64());
}
