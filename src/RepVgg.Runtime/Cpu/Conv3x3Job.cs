namespace RepVgg.Cpu;

/// <summary>
/// One conv3x3 + bias + ReLU layer over a batch, split into work items of
/// (image, row band, block of 16 output channels) that run in parallel.
/// </summary>
/// <remarks>
/// Items are independent: each writes its own output rows of its own channel block, borders
/// included, so the output buffer needs no clearing beforehand. There are about 16 items per core
/// (fewer only when the layer has fewer rows x blocks x images), so that uneven finishing times
/// cost at most a few percent, while an item still spans whole rows, keeping the block's weights
/// hot across the row's tiles.
/// </remarks>
internal readonly unsafe struct Conv3x3Job
{
    private const int ItemsPerCore = 16;
    private const int Lanes = ChannelBlockedLayout.Lanes;

    private readonly float* _input;
    private readonly float* _output;
    private readonly float* _weights;
    private readonly float* _bias;
    private readonly ChannelBlockedLayout _inputLayout;
    private readonly ChannelBlockedLayout _outputLayout;
    private readonly Conv3x3Layer _layer;
    private readonly VectorWidth _width;
    private readonly int _outputBlocks;
    private readonly int _rowsPerBand;
    private readonly int _bands;
    private readonly int _itemCount;

    private Conv3x3Job(float* input, float* output, float* weights, float* bias, Conv3x3Layer layer, int batch, VectorWidth width)
    {
        _input = input;
        _output = output;
        _weights = weights;
        _bias = bias;
        _layer = layer;
        _width = width;
        _inputLayout = new ChannelBlockedLayout(layer.InChannels, layer.InHeight, layer.InWidth);
        _outputLayout = new ChannelBlockedLayout(layer.OutChannels, layer.OutHeight, layer.OutWidth);
        _outputBlocks = Conv3x3Packing.OutputBlockCount(layer.OutChannels);

        int rows = layer.OutHeight;
        int otherItems = batch * _outputBlocks;
        int bandsWanted = Math.Clamp((ItemsPerCore * Environment.ProcessorCount + otherItems - 1) / otherItems, 1, rows);
        _rowsPerBand = (rows + bandsWanted - 1) / bandsWanted;
        _bands = (rows + _rowsPerBand - 1) / _rowsPerBand;
        _itemCount = otherItems * _bands;
    }

    /// <summary>
    /// Runs <paramref name="layer"/> on <paramref name="batch"/> images from <paramref name="input"/> into
    /// <paramref name="output"/> (both <see cref="ChannelBlockedLayout"/>), reading the packed weights and
    /// bias at <paramref name="weights"/> and <paramref name="bias"/>.
    /// </summary>
    public static void Run(float* input, float* output, float* weights, float* bias, Conv3x3Layer layer, int batch, VectorWidth width)
    {
        var job = new Conv3x3Job(input, output, weights, bias, layer, batch, width);
        Parallel.For(0, job._itemCount, job.RunItem);
    }

    private void RunItem(int item)
    {
        int block = item % _outputBlocks;
        int band = item / _outputBlocks % _bands;
        int image = item / _outputBlocks / _bands;
        int firstRow = band * _rowsPerBand;
        int endRow = Math.Min(firstRow + _rowsPerBand, _layer.OutHeight);

        var (firstInputChannel, inputChannelCount) =
            Conv3x3Packing.InputChannelRange(block, _layer.InChannels, _layer.OutChannels, _layer.Groups);
        float* blockWeights = _weights + Conv3x3Packing.BlockWeightOffset(block, _layer.InChannels, _layer.OutChannels, _layer.Groups);
        float* inputImage = _input + image * _inputLayout.ImageFloats;
        float* outputImage = _output + image * _outputLayout.ImageFloats;

        ClearBorder(outputImage, block, firstRow, endRow);
        for (int y = firstRow; y < endRow; y++)
        {
            var row = new Conv3x3Row
            {
                // Output row y (padded row y + 1) reads padded input rows y * stride .. y * stride + 2.
                InputWindowTop = inputImage + _inputLayout.Offset(0, y * _layer.Stride, 0),
                InputChannelBlockFloats = _inputLayout.ChannelBlockFloats,
                InputRowFloats = _inputLayout.RowFloats,
                FirstInputChannel = firstInputChannel,
                InputChannelCount = inputChannelCount,
                Weights = blockWeights,
                Bias = _bias + block * Lanes,
                Output = outputImage + _outputLayout.Offset(block, y + 1, 1),
                OutputWidth = _layer.OutWidth,
            };
            switch (_width, _layer.Stride)
            {
                case (VectorWidth.Vector512, 1): Conv3x3RowKernel.ConvolveRow<Conv3x3Vector512Kernel, StrideOne>(row); break;
                case (VectorWidth.Vector512, _): Conv3x3RowKernel.ConvolveRow<Conv3x3Vector512Kernel, StrideTwo>(row); break;
                case (_, 1): Conv3x3RowKernel.ConvolveRow<Conv3x3Vector256Kernel, StrideOne>(row); break;
                default: Conv3x3RowKernel.ConvolveRow<Conv3x3Vector256Kernel, StrideTwo>(row); break;
            }
        }
    }

    /// <summary>
    /// Zeroes the padding the next layer reads around output rows [firstRow, endRow) of one block:
    /// the left and right border pixels of those rows, and the top or bottom border row for the first or last band.
    /// </summary>
    private void ClearBorder(float* outputImage, int block, int firstRow, int endRow)
    {
        int lastPaddedColumn = _outputLayout.PaddedWidth - 1;
        for (int y = firstRow + 1; y <= endRow; y++)
        {
            new Span<float>(outputImage + _outputLayout.Offset(block, y, 0), Lanes).Clear();
            new Span<float>(outputImage + _outputLayout.Offset(block, y, lastPaddedColumn), Lanes).Clear();
        }
        if (firstRow == 0)
            new Span<float>(outputImage + _outputLayout.Offset(block, 0, 0), (int)_outputLayout.RowFloats).Clear();
        if (endRow == _layer.OutHeight)
            new Span<float>(outputImage + _outputLayout.Offset(block, endRow + 1, 0), (int)_outputLayout.RowFloats).Clear();
    }
}
