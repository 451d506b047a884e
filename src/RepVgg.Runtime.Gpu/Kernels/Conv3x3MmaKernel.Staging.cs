using ILGPU;
using RepVgg.Gpu.TensorCores;
using RepVgg.Gpu.Weights;

namespace RepVgg.Gpu.Kernels;

internal static partial class Conv3x3MmaKernel
{
    /// <summary>
    /// What a thread stages each step, its two shares: 16-byte lanes <c>thread</c> and <c>thread + threads</c> of the W
    /// slice, and one line of X at two pixels of the tile, threads / 4 apart; a line is two pair rows, 4 words, each word
    /// one TF32 value or two FP16 values. <see cref="Load"/> reads them into registers; a staging that copies them
    /// otherwise finds them with <see cref="WeightLane"/> and <see cref="InputReads"/>.
    /// </summary>
    internal readonly struct Staging<TFormat, TTarget, TLayout, TReads>
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
    {
        // The columns of X at the thread's two pixels.
        private readonly InputGather<TLayout> _gather0, _gather1;
        private readonly ArrayView<float> _input;
        private readonly ConvShape _shape;
        private readonly TapMajorK _k;
        // The word block of the thread's line in a step (0 or 1), and the line's first channel in the word block.
        private readonly int _block, _blockChannel;
        private readonly int _lastStep;
        // Where this thread's W lanes of step 0 lie in the layout; a step's are BlockLanesPerStep further on.
        private readonly int _weightLane0, _weightLane1;

        /// <param name="threads">The group's threads: a W slice has twice as many lanes, and the tile half as many pixels.</param>
        /// <param name="pixel">The first of the tile's two pixels whose column of X the thread stages; the other is <paramref name="threads"/> / 4 on.</param>
        /// <param name="line">The thread's line of a step (0 to 3).</param>
        public Staging(GemmTile tile, ArrayView<float> input, ArrayView<float> weights, ConvShape shape, int thread, int threads, int pixel, int line, int steps)
        {
            int valuesPerWord = default(TFormat).ValuesPerWord;
            int pixelStride = threads / LinesPerStep;
            _gather0 = tile.Gather<TLayout>(shape, pixel);
            _gather1 = tile.Gather<TLayout>(shape, pixel + pixelStride);
            _input = input;
            InputLines = input.Cast<Words4>();
            WeightLines = weights.Cast<Words4>();
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
        }

        /// <summary>The input, channels last, in 16-byte lines.</summary>
        public ArrayView<Words4> InputLines { get; }

        /// <summary>The packed weights (<see cref="MmaWeightLayout"/>) in 16-byte lanes.</summary>
        public ArrayView<Words4> WeightLines { get; }

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

        /// <summary>Where the thread's W lane <paramref name="share"/> (0 or 1, a constant) of step <paramref name="step"/> lies in <see cref="WeightLines"/>.</summary>
        public int WeightLane(int share, int step) => (share == 0 ? _weightLane0 : _weightLane1) + WeightStep(step);

        /// <summary>Where the thread's X line lies in step <paramref name="step"/> at its pixel <paramref name="share"/> (0 or 1, a constant).</summary>
        public LineReads InputReads(int share, int step) => Reads(share == 0 ? _gather0 : _gather1, LineAt(step));

        /// <summary>The thread's share of step <paramref name="step"/>, into registers: X's words zero past K; W's lanes of the last step past it.</summary>
        public StagedWords Load(int step)
        {
            int weightStep = WeightStep(step);
            (int Tap, int Channel) at = LineAt(step);
            return new StagedWords(WeightLines[_weightLane0 + weightStep], WeightLines[_weightLane1 + weightStep],
                InputLine(Reads(_gather0, at)), InputLine(Reads(_gather1, at)));
        }

        /// <summary>
        /// The thread's line (pair rows 2 line and 2 line + 1) at one pixel: one load with <see cref="VectorReads"/>, as
        /// it lies; one per channel otherwise, each packed through the format.
        /// </summary>
        private Words4 InputLine(LineReads reads)
        {
            if (default(TReads).Vector)
                return reads.Present ? InputLines[reads.Line] : default;
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
}
