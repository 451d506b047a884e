using ILGPU;
using RepVgg.Gpu.TensorCores;
using RepVgg.Gpu.Weights;

namespace RepVgg.Gpu.Kernels;

internal static partial class Conv3x3MmaKernel
{
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
}
