using System.Runtime.Intrinsics.X86;

namespace RepVgg.Cpu;

/// <summary>
/// A conv3x3 + bias (+ ReLU) layer by direct convolution over a batch, split into work items of
/// (image, row band, span of one or two blocks of 16 output channels) that the <see cref="WorkerPool"/>
/// runs in parallel.
/// One instance per engine, reused for every layer, so a layer allocates nothing.
/// </summary>
/// <remarks>
/// Items are independent: each writes its own output rows of its own channel block. There are about
/// 16 items per thread (fewer only when the layer has fewer rows x blocks x images), so that uneven
/// finishing times cost at most a few percent, while an item still spans whole rows, keeping the
/// block's weights hot across the row's tiles.
/// </remarks>
internal sealed unsafe class DirectConvolution : IParallelWork
{
    private const int ItemsPerThread = 16;

    /// <summary>
    /// Floats of weights per input-channel chunk: 32 channels of one block (18 KB), or 16 of a pair, well
    /// inside a 32 to 48 KB L1 beside the input rows. A wide layer's block weights (295 KB for 512 input
    /// channels) would otherwise stream from L2 again for every output row.
    /// </summary>
    private const int ChunkWeightFloats = 32 * Conv3x3Packing.FloatsPerInputChannel;
    private const int Lanes = ChannelBlockedLayout.Lanes;

    private float* _input;
    private bool _planarInput;
    private long _inputImageFloats;
    private long _inputChannelFloats;
    private long _inputRowFloats;
    private float* _output;
    private float* _weights;
    private float* _bias;
    private ChannelBlockedLayout _outputLayout;
    private Conv3x3Layer _layer = null!;
    private VectorWidth _width;
    private bool _relu;
    // With sumChannels, each item's sums of its output rows, per block of its span (SumChannels adds them up).
    private bool _sumChannels;
    private float[] _sums = [];
    private int _batch;
    private readonly OutputBlockSpans _spans = new();
    private int _rowsPerBand;
    private int _bands;

    /// <summary>
    /// Runs <paramref name="layer"/> on <paramref name="batch"/> images from <paramref name="input"/> (in
    /// <see cref="ChannelBlockedLayout"/>, or <see cref="PaddedPlanarLayout"/> when <paramref name="planarInput"/>)
    /// into <paramref name="output"/> (<see cref="ChannelBlockedLayout"/>), reading the packed weights and
    /// bias (<see cref="Conv3x3Packing"/>) at <paramref name="weights"/> and <paramref name="bias"/>; ReLU'd when
    /// <paramref name="relu"/>. With <paramref name="sumChannels"/>, each item also sums the rows it wrote, for
    /// <see cref="SumChannels"/>.
    /// </summary>
    public void Run(WorkerPool pool, float* input, bool planarInput, float* output, float* weights, float* bias,
        Conv3x3Layer layer, int batch, VectorWidth width, bool relu, bool sumChannels = false)
    {
        _relu = relu;
        _sumChannels = sumChannels;
        _batch = batch;
        _planarInput = planarInput;
        if (planarInput)
        {
            var planar = new PaddedPlanarLayout(layer.InChannels, layer.InHeight, layer.InWidth);
            (_inputImageFloats, _inputChannelFloats, _inputRowFloats) = (planar.ImageFloats, planar.PlaneFloats, planar.RowFloats);
        }
        else
        {
            var blocked = new ChannelBlockedLayout(layer.InChannels, layer.InHeight, layer.InWidth);
            (_inputImageFloats, _inputChannelFloats, _inputRowFloats) = (blocked.ImageFloats, blocked.ChannelBlockFloats, blocked.RowFloats);
        }
        _input = input;
        _output = output;
        _weights = weights;
        _bias = bias;
        _layer = layer;
        _width = width;
        _outputLayout = new ChannelBlockedLayout(layer.OutChannels, layer.OutHeight, layer.OutWidth);
        _spans.Plan(layer, pairs: width == VectorWidth.Vector512);

        int rows = layer.OutHeight;
        int otherItems = batch * _spans.Count;
        int bandsWanted = Math.Clamp((ItemsPerThread * pool.Parallelism + otherItems - 1) / otherItems, 1, rows);
        _rowsPerBand = (rows + bandsWanted - 1) / bandsWanted;
        _bands = (rows + _rowsPerBand - 1) / _rowsPerBand;

        _outputLayout.ClearBorders(output, batch);
        if (sumChannels && _sums.Length < otherItems * _bands * 2 * Lanes)
            _sums = GC.AllocateUninitializedArray<float>(otherItems * _bands * 2 * Lanes, pinned: true);
        pool.Run(this, otherItems * _bands);
    }

    /// <summary>
    /// The last layer's per-channel sums over its whole output (batch x blocks x 16, zero past the channels), from the
    /// items' sums: the layer must have run with <c>sumChannels</c>.
    /// </summary>
    public void SumChannels(Span<double> totals)
    {
        totals.Clear();
        int blocks = _outputLayout.ChannelBlocks;
        fixed (float* sums = _sums)
        {
            for (int item = 0; item < _batch * _spans.Count * _bands; item++)
            {
                int span = item % _spans.Count, image = item / _spans.Count / _bands;
                for (int b = 0; b < _spans.Blocks(span); b++)
                    ChannelSums.Accumulate(sums + ((long)item * 2 + b) * Lanes, totals.Slice((image * blocks + _spans.First(span) + b) * Lanes, Lanes));
            }
        }
    }

    /// <inheritdoc/>
    public void Run(int item)
    {
        if (_planarInput)
            Run<PlanarInput>(item);
        else
            Run<BlockedInput>(item);
    }

    private void Run<TInput>(int item) where TInput : struct, IInputLayout
    {
        bool pair = _spans.Blocks(item % _spans.Count) == 2;
        switch (_width, _layer.Stride)
        {
            case (VectorWidth.Vector512, 1) when pair: RunItem<Conv3x3Vector512PairKernel, StrideOne, TInput>(item); break;
            case (VectorWidth.Vector512, _) when pair: RunItem<Conv3x3Vector512PairKernel, StrideTwo, TInput>(item); break;
            case (VectorWidth.Vector512, 1): RunItem<Conv3x3Vector512Kernel, StrideOne, TInput>(item); break;
            case (VectorWidth.Vector512, _): RunItem<Conv3x3Vector512Kernel, StrideTwo, TInput>(item); break;
            case (VectorWidth.Vector256, 1): RunItem<Conv3x3Vector256Kernel, StrideOne, TInput>(item); break;
            case (VectorWidth.Vector256, _): RunItem<Conv3x3Vector256Kernel, StrideTwo, TInput>(item); break;
            case (VectorWidth.Vector128, 1): RunItem<Conv3x3OnePixelKernel<Lanes128>, StrideOne, TInput>(item); break;
            case (VectorWidth.Vector128, _): RunItem<Conv3x3OnePixelKernel<Lanes128>, StrideTwo, TInput>(item); break;
            case (_, 1): RunItem<Conv3x3OnePixelKernel<LanesScalar>, StrideOne, TInput>(item); break;
            default: RunItem<Conv3x3OnePixelKernel<LanesScalar>, StrideTwo, TInput>(item); break;
        }
    }

    private void RunItem<TKernel, TStride, TInput>(int item)
        where TKernel : struct, IConv3x3TileKernel
        where TStride : struct, IConvStride
        where TInput : struct, IInputLayout
    {
        int span = item % _spans.Count;
        int block = _spans.First(span);
        int band = item / _spans.Count % _bands;
        int image = item / _spans.Count / _bands;
        int firstRow = band * _rowsPerBand;
        int endRow = Math.Min(firstRow + _rowsPerBand, _layer.OutHeight);

        var (firstInputChannel, inputChannelCount) = _spans.InputRange(span);
        float* blockWeights = _weights + _spans.WeightOffset(span);
        float* inputImage = _input + image * _inputImageFloats;
        float* outputImage = _output + image * _outputLayout.ImageFloats;

        // Input channels in chunks whose weights stay in L1 across the band's rows; one chunk when they all fit.
        int blocks = _spans.Blocks(span);
        int chunk = inputChannelCount <= ChunkWeightFloats / Conv3x3Packing.FloatsPerInputChannel
            ? inputChannelCount
            : ChunkWeightFloats / Conv3x3Packing.FloatsPerInputChannel / blocks;
        int rows = endRow - firstRow;
        for (int first = 0; first < inputChannelCount; first += chunk)
        {
            int count = Math.Min(chunk, inputChannelCount - first);
            // The next chunk's weights come from memory while this chunk computes, a share per row: they lie
            // in another part of the block (the pair's second block, or the next channels) that the hardware
            // prefetcher would reach only on demand.
            int nextCount = Math.Min(chunk, inputChannelCount - first - count);
            long nextLines = (long)nextCount * Conv3x3Packing.FloatsPerInputChannel / Lanes;
            for (int y = firstRow; y < endRow; y++)
            {
                if (nextLines > 0 && Sse.IsSupported)
                {
                    long from = nextLines * (y - firstRow) / rows, to = nextLines * (y - firstRow + 1) / rows;
                    float* next = blockWeights + (long)(first + count) * Conv3x3Packing.FloatsPerInputChannel;
                    for (long line = from; line < to; line++)
                    {
                        Sse.Prefetch0(next + line * Lanes);
                        if (blocks == 2)
                            Sse.Prefetch0(next + (long)inputChannelCount * Conv3x3Packing.FloatsPerInputChannel + line * Lanes);
                    }
                }
                var row = new Conv3x3Row
                {
                    // Output row y (padded row y + 1) reads padded input rows y * stride .. y * stride + 2.
                    InputWindowTop = inputImage + y * TStride.Value * _inputRowFloats,
                    InputChannelBlockFloats = _inputChannelFloats,
                    InputRowFloats = _inputRowFloats,
                    FirstInputChannel = firstInputChannel + first,
                    InputChannelCount = count,
                    Weights = blockWeights + (long)first * Conv3x3Packing.FloatsPerInputChannel,
                    BlockWeightFloats = (long)inputChannelCount * Conv3x3Packing.FloatsPerInputChannel,
                    Bias = _bias + block * Lanes,
                    Output = outputImage + _outputLayout.Offset(block, y + 1, 1),
                    OutputWidth = _layer.OutWidth,
                    OutputChannelBlockFloats = _outputLayout.ChannelBlockFloats,
                    Accumulate = first > 0,
                    Relu = _relu && first + count == inputChannelCount,
                };
                Conv3x3RowKernel.ConvolveRow<TKernel, TStride, TInput>(row);
            }
        }
        if (!_sumChannels)
            return;
        // The rows just written, while they are still in cache.
        fixed (float* sums = _sums)
        {
            for (int b = 0; b < blocks; b++)
            {
                float* slot = sums + ((long)item * 2 + b) * Lanes;
                new Span<float>(slot, Lanes).Clear();
                ChannelSums.Add(outputImage + _outputLayout.Offset(block + b, firstRow + 1, 1), _outputLayout.RowFloats, rows, _layer.OutWidth, slot);
            }
        }
    }
}
