using ILGPU;
using ILGPU.Runtime;
using RepVgg.Gpu.TensorCores;
using RepVgg.Gpu.Weights;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// conv3x3 (padding 1, stride 1 or 2, any groups) + bias + ReLU on tensor cores, in a reduced precision
/// (<typeparamref name="TFormat"/>, its mma from <typeparamref name="TTarget"/>): the implicit GEMM of <see cref="Conv3x3GemmKernel"/>,
/// <c>out[m, n] = ReLU(bias[m] + sum_k W[k, m] * X[k, n])</c>, with W and X rounded to the format and the products
/// accumulated in float32 by <c>mma.sync</c>. W comes rounded and packed as mma A fragments
/// (<see cref="Weights.MmaWeightLayout"/>). X is the activation, channels last, laid out as <typeparamref name="TLayout"/>
/// says: float32 in TF32 (<see cref="Nhwc"/>), rounded as it is staged, and half precision in FP16
/// (<see cref="NhwcHalf{TTarget}"/>), staged as it lies; no other pairing is built. The output is laid out as the input.
/// </summary>
/// <remarks>
/// <para>
/// Tiling: each warp computes a 32 x 32 block of outputs as 2 x 4 mma tiles of 16 x 8 (<see cref="WarpAccumulators"/>,
/// 32 float32 registers a thread). A group of 128 threads (4 warps) computes a 64 (channels) x 64 (pixels) tile
/// (<see cref="Run"/>), or one of 512 threads (16 warps) a 128 x 128 tile (<see cref="RunLarge"/>), for layers whose
/// grid of large tiles fills the device (<see cref="GemmTilePolicy"/>). The group walks K one step at a time: it stages
/// 16 rows of 32-bit words of W (k x tile channels) and of X (k x tile pixels) in shared memory, each word one TF32
/// value or two FP16 values (16 or 32 k a step), then each warp runs 2 x 8 mma, each on 8 word rows.
/// The slices are double-buffered: a thread loads its share of step s + 1 into registers before step s's mma and
/// stores it into the other slice after, so its latency hides behind the mma and one barrier per step suffices.
/// </para>
/// <para>
/// W: a step's slice is the tile's channel blocks' two fragments each, copied as they lie in the layout, 16 bytes a
/// thread (two such copies a thread with 64 x 64 tiles, one with 128 x 128). A lane then reads each of its fragments
/// with one 16-byte load; a warp's 32 loads cover 512 consecutive bytes, so none conflict. Channel blocks past M (a
/// tile that overhangs the group) copy the group's last block instead, whose products are never stored.
/// </para>
/// <para>
/// X: the step's 16 word rows are staged as 8 pair rows, pair row t of a word block holding its word rows t and t + 4
/// side by side, which are the two words of a B fragment: lane <c>4 g + t</c> reads both with one 8-byte load, at pixel
/// g of each 8-pixel tile. K runs tap-major (<see cref="Weights.MmaWeightLayout"/>): a word block is one tap of 8 or 16
/// input channels, and its words t and t + 4 hold consecutive channels, so pair row t is the 2 (TF32) or 4 (FP16)
/// channels from 2t or 4t. A pixel's column of a step is staged by L neighbouring threads of a warp (L = 2 with
/// 64 x 64 tiles, 4 with 128 x 128): thread i stages pixel <c>i / L</c> of the tile and pair rows <c>(i % L) 8 / L</c>
/// on, 4 or 2 consecutive pair rows of one word block. Those are 8 or 4 channels (TF32), 16 or 8 (FP16) that lie side
/// by side in the channels-last input, read behind one padding test and one address with 16-byte loads (4 float32
/// values or 8 halves) where the group's channels are a multiple of that, which keeps those loads aligned and whole
/// within the group (<see cref="VectorReads"/>), one value at a time otherwise (<see cref="ScalarReads"/>): each is its own kernel, so
/// neither carries the other's code. So each load of a warp covers 16 or 8 pixels, the lanes of a pixel reading one
/// contiguous run of its channels, and touches 16 or 8 cache lines; a warp that spanned 32 pixels touched 32 per load,
/// each for 8 or 16 bytes. Zeros past K, the image and N. The pair rows are padded by 4 pairs (to 68 or 132), so the
/// 4 pair rows a half-warp reads at once start 8 banks apart and its 16 reads hit 32 different banks; a warp's stores
/// of one pair each fill 2 wavefronts, the least 256 bytes take.
/// </para>
/// <para>
/// Output: a thread's fragment values are 2 pixels by 2 channels 8 apart; the 8 lanes that share a pixel write 8
/// consecutive channels (32 bytes). Stores past the edges are skipped, so no size needs padding.
/// </para>
/// </remarks>
internal static class Conv3x3MmaKernel
{
    /// <summary>Threads per group of <see cref="Run"/>: 4 warps, each computing 32 x 32 outputs of a 64 x 64 tile.</summary>
    public const int Threads = 128;

    /// <summary>Threads per group of <see cref="RunLarge"/>: 16 warps, each computing 32 x 32 outputs of a 128 x 128 tile.</summary>
    public const int LargeThreads = 512;

    /// <summary>
    /// Resident groups per SM <see cref="RunLarge"/> is compiled for (<see cref="GroupedKernels"/>): 2, so that one group
    /// can issue while the other's 16 warps wait at their barrier. It holds the kernel to 64 registers, which ptxas
    /// 11.8 meets without spilling at some recomputation in the loop (145 instead of 133 instructions per TF32 step on
    /// sm_90, 173 instead of 157 in FP16). Chosen on that reasoning: the H200 has run it, but not yet against one group per SM.
    /// </summary>
    public const int LargeGroupsPerMultiprocessor = 2;

    private const int TileSize = GemmTilePolicy.SmallTileSize;
    private const int LargeTileSize = GemmTilePolicy.LargeTileSize;

    /// <summary>Rows of 32-bit words staged per step: two mma's worth of k.</summary>
    private const int WordRows = MmaWeightLayout.BlocksPerStep * MmaWeightLayout.BlockWords;

    /// <summary>Pairs of padding after each staged input pair row, which spreads a fragment load over all 32 banks.</summary>
    private const int PairRowPadding = 4;

    /// <summary>Staged input pair rows per step: word rows t and t + 4 of each word block share one.</summary>
    private const int PairRows = WordRows / 2;

    private const int WarpSize = 32;

    /// <summary>16-byte lanes of one channel block's fragments in a step: its two word blocks, 32 lanes each.</summary>
    private const int BlockLanesPerStep = MmaWeightLayout.BlocksPerStep * WarpSize;

    /// <summary>The launch of <see cref="Run"/>: one group per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig Config(ConvShape shape, int groups) => GemmTile.Config(shape, groups, Threads, TileSize);

    /// <summary>The launch of <see cref="RunLarge"/>: one group per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig LargeConfig(ConvShape shape, int groups) => GemmTile.Config(shape, groups, LargeThreads, LargeTileSize);

    /// <summary>The layer with 64 x 64 tiles, launched with <see cref="Config"/>.</summary>
    /// <param name="input">N x InHeight x InWidth x InChannels.</param>
    /// <param name="weights">The words of <see cref="MmaWeightLayout"/> in <typeparamref name="TFormat"/>, as floats, 16-byte aligned.</param>
    /// <param name="bias">OutChannels.</param>
    /// <param name="output">N x OutHeight x OutWidth x OutChannels.</param>
    /// <param name="shape">The layer's shapes for this batch.</param>
    public static void Run<TFormat, TTarget, TLayout, TReads>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output, ConvShape shape)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads =>
        Multiply<TFormat, TTarget, TLayout, TReads>(input, weights, bias, output, shape, TileSize, Threads);

    /// <summary>The layer with 128 x 128 tiles, launched with <see cref="LargeConfig"/>; parameters as <see cref="Run"/>'s.</summary>
    public static void RunLarge<TFormat, TTarget, TLayout, TReads>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output, ConvShape shape)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads =>
        Multiply<TFormat, TTarget, TLayout, TReads>(input, weights, bias, output, shape, LargeTileSize, LargeThreads);

    /// <summary>
    /// The kernel body for a square tile of <paramref name="size"/> channels and pixels computed by <paramref name="threads"/>
    /// threads: both constants of the entry point, which ILGPU folds once it inlines this, the shared-memory sizes too.
    /// </summary>
    private static void Multiply<TFormat, TTarget, TLayout, TReads>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output,
        ConvShape shape, int size, int threads)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
    {
        var format = default(TFormat);
        int pairStride = size + PairRowPadding;
        // The threads that stage one pixel's column of X: 2 with 64 x 64 tiles, 4 with 128 x 128.
        int lanesPerPixel = threads / size;
        int weightSliceLanes = size / MmaWeightLayout.BlockChannels * BlockLanesPerStep;
        ArrayView<Words4> weightSlices = SharedMemory.Allocate<Words4>(2 * weightSliceLanes); // [slice][channel block][word block][lane]
        ArrayView<Words2> inputSlices = SharedMemory.Allocate<Words2>(2 * PairRows * pairStride); // [slice][word block][t][n] (rows t, t + 4)
        // Pair rows a thread stages per step: 4 with 64 x 64 tiles, 2 with 128 x 128.
        int threadPairs = PairRows / lanesPerPixel;

        int thread = Group.IdxX;
        var tile = new GemmTile(shape, thread, size);
        int steps = MmaWeightLayout.Steps(shape.InPerGroup, format.ValuesPerWord);

        // This thread's place in its warp's 32 x 32 block and in the mma fragments.
        int warp = thread / WarpSize;
        int lane = thread % WarpSize;
        int warpsPerRow = size / 32;
        int warpChannel = warp / warpsPerRow * 32;
        int warpPixel = warp % warpsPerRow * 32;
        int fragmentRow = lane / 4;
        int fragmentWord = lane % 4;

        // The pixel of the tile whose X this thread stages, and its share of the pixel's pair rows: the lanes of a pixel
        // are neighbours in their warp, so that together they read its channels as one run.
        int stagedPixel = thread / lanesPerPixel;
        int firstPair = thread % lanesPerPixel * threadPairs;
        var staging = new Staging<TFormat, TLayout, TReads>(tile, input, weights, shape, thread, stagedPixel, firstPair, threadPairs, steps);
        int inputSlicePairs = PairRows * pairStride;
        int storeAt = firstPair * pairStride + stagedPixel;
        staging.Load(0).Store(weightSlices, inputSlices, thread, storeAt, pairStride);
        Group.Barrier();

        var accumulators = WarpAccumulators.Create<TTarget>();
        // The lanes of the warp's two channel blocks' fragments in a slice, for the step's first word block, and the
        // pair of this lane's B fragments in the first pixel tile.
        int fragments = warpChannel / MmaWeightLayout.BlockChannels * BlockLanesPerStep + lane;
        int fragmentPairs = fragmentWord * pairStride + warpPixel + fragmentRow;
        // Where this thread's first output lies: made before the loop, so that only these live through it.
        int channel = tile.FirstChannel + warpChannel + fragmentRow;
        int pixel = tile.FirstPixel + warpPixel + 2 * fragmentWord;
        int group = tile.ConvGroup;
        int slice = 0;
        for (int step = 0; step < steps; step++)
        {
            // The next step's share (zeros past K, and the last step again after it) is in flight while this step's mma
            // run; it lands in the other slice, which the warps last read before the previous barrier.
            StagedWords next = staging.Load(step + 1);
            // Views from this lane's first fragment words of the slice, read at constant offsets (ViewExtensions.From).
            ArrayView<Words4> weightFragments = weightSlices.From(slice * weightSliceLanes + fragments);
            ArrayView<Words2> inputFragments = inputSlices.From(slice * inputSlicePairs + fragmentPairs);
            MultiplyWordBlock(format, ref accumulators, weightFragments, inputFragments, pairStride, 0);
            MultiplyWordBlock(format, ref accumulators, weightFragments, inputFragments, pairStride, 1);
            slice = 1 - slice;
            next.Store(weightSlices.SubView(slice * weightSliceLanes, weightSliceLanes), inputSlices.SubView(slice * inputSlicePairs, inputSlicePairs),
                thread, storeAt, pairStride);
            Group.Barrier();
        }

        // One call per pixel tile, and in it one per mma tile, so that each names its accumulator registers with constants
        // (ILGPU does not unroll a loop over them, and a run-time tile index would need a 32-way switch).
        StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, 0, channel, pixel);
        StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, 1, channel, pixel);
        StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, 2, channel, pixel);
        StorePixelTile<TTarget, TLayout>(output, bias, shape, group, accumulators, 3, channel, pixel);
    }

    /// <summary>
    /// What a thread stages each step: 16-byte lanes <c>thread</c> (and <c>thread + threads</c> with 64 x 64 tiles) of
    /// the W slice, and 4 (64 x 64 tiles) or 2 (128 x 128) consecutive pair rows of its pixel's column of X, all in one
    /// word block; each pair two words, each word one TF32 value or two FP16 values.
    /// </summary>
    private readonly struct Staging<TFormat, TLayout, TReads>
        where TFormat : struct, ITensorCoreFormat
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
    {
        private readonly InputGather<TLayout> _gather;
        private readonly ArrayView<float> _input;
        private readonly ArrayView<Words4> _inputLines;
        private readonly ArrayView<Words4> _fragments;
        private readonly ConvShape _shape;
        private readonly TapMajorK _k;
        private readonly bool _fourPairs;
        // The thread's word block in a step (0 or 1), and its first channel in a word block.
        private readonly int _block, _blockChannel;
        private readonly int _lastStep;
        // Where this thread's W lanes of step 0 lie in the layout; a step's are BlockLanesPerStep further on.
        private readonly int _weightLane0, _weightLane1;

        /// <param name="pixel">The tile's pixel whose column of X the thread stages.</param>
        /// <param name="firstPair">The first of the thread's pair rows of a step (0 to 7).</param>
        public Staging(GemmTile tile, ArrayView<float> input, ArrayView<float> weights, ConvShape shape, int thread, int pixel, int firstPair,
            int threadPairs, int steps)
        {
            int valuesPerWord = default(TFormat).ValuesPerWord;
            _gather = tile.Gather<TLayout>(shape, pixel);
            _input = input;
            _inputLines = input.Cast<Words4>();
            _fragments = weights.Cast<Words4>();
            _shape = shape;
            _k = new TapMajorK(MmaWeightLayout.ChannelsPerTap(shape.InPerGroup, valuesPerWord));
            _fourPairs = threadPairs == 4;
            _block = firstPair / 4;
            _blockChannel = firstPair % 4 * MmaWeightLayout.PairChannels(valuesPerWord);
            _lastStep = steps - 1;
            int channelBlocks = MmaWeightLayout.ChannelBlocks(shape.OutPerGroup);
            int firstBlock = tile.ConvGroup * channelBlocks;
            int lastBlock = firstBlock + channelBlocks - 1;
            int tileBlock = firstBlock + tile.FirstChannel / MmaWeightLayout.BlockChannels;
            int stepLanes = steps * BlockLanesPerStep;
            _weightLane0 = WeightLane(thread, tileBlock, lastBlock, stepLanes);
            _weightLane1 = WeightLane(thread + Threads, tileBlock, lastBlock, stepLanes);
        }

        /// <summary>Where lane <paramref name="lane"/> of a W slice lies in the layout at step 0; a block past M reads the group's last.</summary>
        private static int WeightLane(int lane, int tileBlock, int lastBlock, int stepLanes)
        {
            int block = Math.Min(tileBlock + lane / BlockLanesPerStep, lastBlock);
            return block * stepLanes + lane % BlockLanesPerStep;
        }

        /// <summary>The thread's share of step <paramref name="step"/>: X's words zero past K; W's lanes of the last step past it.</summary>
        public StagedWords Load(int step)
        {
            int valuesPerWord = default(TFormat).ValuesPerWord;
            var words = new StagedWords(_fourPairs);
            int weightStep = Math.Min(step, _lastStep) * BlockLanesPerStep;
            words.Weights0 = _fragments[_weightLane0 + weightStep];
            // The thread's word block lies at one tap; its pairs are consecutive channels there.
            int k = (step * MmaWeightLayout.BlocksPerStep + _block) * MmaWeightLayout.BlockWords * valuesPerWord;
            int tap = _k.Tap(k);
            int channel = _k.Channel(k, tap) + _blockChannel;
            TapWindow window = _gather.AtTap(_shape, tap);
            // Vector reads: the thread's channels from one address, at constant offsets from it; none outside the image,
            // and none past the group's channels (its padding per tap), where they read zeros.
            var reads = new LineReads(window, channel, _shape, default(TReads).Vector, default(TLayout).ValuesPerLine, _inputLines);
            if (_fourPairs)
                words.Weights1 = _fragments[_weightLane1 + weightStep];
            // Each 16-byte line fills two pair rows: in TF32 it is 4 float32 channels, which the thread rounds, 2 a pair
            // row; in FP16 it is 8 half channels, 4 a pair row, which are already the words an mma reads.
            (words.Inputs0, words.Inputs1) = InputLine(reads, 0);
            if (_fourPairs)
                (words.Inputs2, words.Inputs3) = InputLine(reads, 1);
            return words;
        }

        /// <summary>
        /// The two pair rows of 16-byte line <paramref name="line"/> (a constant) of the thread's channels: one load with
        /// <see cref="VectorReads"/>, one per channel otherwise, each then rounded to the format (a half is already one).
        /// </summary>
        private (Words2, Words2) InputLine(LineReads reads, int line)
        {
            var format = default(TFormat);
            int valuesPerLine = default(TLayout).ValuesPerLine;
            int first = valuesPerLine * line;
            if (default(TReads).Vector)
            {
                Words4 words = reads.Available > first ? reads.Lines[line] : default;
                if (format.ValuesPerWord == 2)
                    return (new Words2(words.W0, words.W1), new Words2(words.W2, words.W3));
                return (Tf32Pair(Interop.IntAsFloat(words.W0), Interop.IntAsFloat(words.W1)), Tf32Pair(Interop.IntAsFloat(words.W2), Interop.IntAsFloat(words.W3)));
            }
            int channel = reads.Channel + first;
            if (format.ValuesPerWord == 1)
                return (Tf32Pair(Load(reads.Window, channel), Load(reads.Window, channel + 1)), Tf32Pair(Load(reads.Window, channel + 2), Load(reads.Window, channel + 3)));
            return (Fp16Pair(reads.Window, channel), Fp16Pair(reads.Window, channel + 4));
        }

        /// <summary>A TF32 pair row: word t the first channel, word t + 4 the next.</summary>
        private static Words2 Tf32Pair(float first, float second) => new(default(TFormat).Pack(first, 0f), default(TFormat).Pack(second, 0f));

        /// <summary>An FP16 pair row read one channel at a time: word t channels <paramref name="channel"/> and + 1, word t + 4 the next two.</summary>
        private Words2 Fp16Pair(TapWindow window, int channel) => new(
            default(TFormat).Pack(Load(window, channel), Load(window, channel + 1)), default(TFormat).Pack(Load(window, channel + 2), Load(window, channel + 3)));

        private float Load(TapWindow window, int channel) => InputGather<TLayout>.Load(_input, _shape, window, channel);
    }

    /// <summary>
    /// Where a thread reads its channels of a word block: the tap window and the first channel (one value at a time),
    /// or, for vector reads, a view of 16-byte lines (4 float32 or 8 half values) from the first channel with the
    /// channels available from it: none outside the image or past the group's channels, where the view starts at 0, so
    /// that it never starts past the input (ILGPU's CPU accelerator checks that, and a kernel that throws there leaves
    /// its group's other threads at a barrier for ever).
    /// </summary>
    private readonly struct LineReads
    {
        public readonly TapWindow Window;
        public readonly int Channel, Available;
        public readonly ArrayView<Words4> Lines;

        public LineReads(TapWindow window, int channel, ConvShape shape, bool vector, int valuesPerLine, ArrayView<Words4> lines)
        {
            Window = window;
            Channel = channel;
            Available = window.Inside ? shape.InPerGroup - channel : 0;
            Lines = vector ? lines.From((Available > 0 ? window.Offset + channel : 0) / valuesPerLine) : default;
        }
    }

    /// <summary>A thread's staged share of a step, held in registers between its loads and its stores (named fields: an array would live in local memory).</summary>
    private struct StagedWords(bool fourPairs)
    {
        public Words4 Weights0, Weights1;
        public Words2 Inputs0, Inputs1, Inputs2, Inputs3;

        /// <summary>Whether the thread stages two W lanes and 4 X pairs (64 x 64 tiles), or one and 2 (128 x 128).</summary>
        public readonly bool FourPairs = fourPairs;

        /// <summary>
        /// Into a slice of both operands: W lanes <paramref name="thread"/> (and + 128), X pairs from <paramref name="at"/>
        /// (the first pair row), <paramref name="pairStride"/> pairs a pair row apart.
        /// </summary>
        public readonly void Store(ArrayView<Words4> weightSlice, ArrayView<Words2> inputSlice, int thread, int at, int pairStride)
        {
            // At constant offsets from one address each (pairStride is the kernel's constant).
            ArrayView<Words4> lanes = weightSlice.From(thread);
            ArrayView<Words2> pairs = inputSlice.From(at);
            lanes[0] = Weights0;
            pairs[0] = Inputs0;
            pairs[pairStride] = Inputs1;
            if (FourPairs)
            {
                lanes[Threads] = Weights1;
                pairs[2 * pairStride] = Inputs2;
                pairs[3 * pairStride] = Inputs3;
            }
        }
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
    /// The warp's 2 x 4 mma on word block <paramref name="block"/> of the staged step: A fragments of both channel blocks
    /// from <paramref name="weights"/> (lane-major, <see cref="BlockLanesPerStep"/> lanes a channel block), B fragments
    /// of the four pixel tiles from <paramref name="inputs"/> (pair row t of the block, words t and t + 4 at once,
    /// pixel g and g + 8, + 16, + 24). Called with a constant block, so every index is a constant.
    /// </summary>
    private static void MultiplyWordBlock<TFormat>(TFormat format, ref WarpAccumulators accumulators, ArrayView<Words4> weights, ArrayView<Words2> inputs,
        int pairStride, int block)
        where TFormat : struct, ITensorCoreFormat
    {
        Words4 a0 = weights[block * WarpSize];
        Words4 a1 = weights[BlockLanesPerStep + block * WarpSize];
        int row = block * 4 * pairStride;
        Words2 b0 = inputs[row], b1 = inputs[row + 8], b2 = inputs[row + 16], b3 = inputs[row + 24];
        format.MultiplyAccumulate(ref accumulators, 0, a0.W0, a0.W1, a0.W2, a0.W3, b0.W0, b0.W1);
        format.MultiplyAccumulate(ref accumulators, 1, a0.W0, a0.W1, a0.W2, a0.W3, b1.W0, b1.W1);
        format.MultiplyAccumulate(ref accumulators, 2, a0.W0, a0.W1, a0.W2, a0.W3, b2.W0, b2.W1);
        format.MultiplyAccumulate(ref accumulators, 3, a0.W0, a0.W1, a0.W2, a0.W3, b3.W0, b3.W1);
        format.MultiplyAccumulate(ref accumulators, 4, a1.W0, a1.W1, a1.W2, a1.W3, b0.W0, b0.W1);
        format.MultiplyAccumulate(ref accumulators, 5, a1.W0, a1.W1, a1.W2, a1.W3, b1.W0, b1.W1);
        format.MultiplyAccumulate(ref accumulators, 6, a1.W0, a1.W1, a1.W2, a1.W3, b2.W0, b2.W1);
        format.MultiplyAccumulate(ref accumulators, 7, a1.W0, a1.W1, a1.W2, a1.W3, b3.W0, b3.W1);
    }

    /// <summary>
    /// Writes this thread's outputs of pixel tile <paramref name="pixelTile"/> (mma tiles j and 4 + j): pixels
    /// 8j + 2 x fragment word (+ 1) of the warp's block; <paramref name="channel"/> and <paramref name="pixel"/> are those of tile 0.
    /// </summary>
    private static void StorePixelTile<TTarget, TLayout>(ArrayView<float> output, ArrayView<float> bias, ConvShape shape, int group,
        in WarpAccumulators accumulators, int pixelTile, int channel, int pixel)
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
    {
        StoreTile<TTarget, TLayout>(output, bias, shape, group, accumulators, pixelTile, channel, pixel + pixelTile * 8);
        StoreTile<TTarget, TLayout>(output, bias, shape, group, accumulators, 4 + pixelTile, channel + 16, pixel + pixelTile * 8);
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
        ConvOutput.Store<TLayout>(output, bias, shape, group, channel, pixel, accumulators.Result<TTarget>(tile, 0));
        ConvOutput.Store<TLayout>(output, bias, shape, group, channel, pixel + 1, accumulators.Result<TTarget>(tile, 1));
        ConvOutput.Store<TLayout>(output, bias, shape, group, channel + 8, pixel, accumulators.Result<TTarget>(tile, 2));
        ConvOutput.Store<TLayout>(output, bias, shape, group, channel + 8, pixel + 1, accumulators.Result<TTarget>(tile, 3));
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
