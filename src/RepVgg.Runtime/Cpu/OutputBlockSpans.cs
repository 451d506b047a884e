namespace RepVgg.Cpu;

/// <summary>
/// A layer's output blocks cut into spans of one or two, for kernels that compute two blocks of 16
/// output channels at once: twice the FMAs per loaded input value. Two blocks share a span only
/// when they read the same input channels (dense layers, and groups of 32 channels or more), so
/// that the second block's packed weights follow the first's. Each span's input channels and
/// weight offset are worked out once per layer here, not per work item. One instance per
/// convolution, reused: it grows only for a wider layer than before.
/// </summary>
internal sealed class OutputBlockSpans
{
    // Span i covers blocks [_starts[i], _starts[i + 1]), reads input channels [_firstInputs[i], + _inputCounts[i])
    // and has its weights _weightOffsets[i] floats into the layer's direct (cpu-oc16-v1) packing.
    private int[] _starts = [];
    private int[] _firstInputs = [];
    private int[] _inputCounts = [];
    private long[] _weightOffsets = [];

    /// <summary>Spans planned by the last <see cref="Plan"/>.</summary>
    public int Count { get; private set; }

    /// <summary>First block of span <paramref name="span"/>.</summary>
    public int First(int span) => _starts[span];

    /// <summary>Blocks in span <paramref name="span"/>: 1 or 2.</summary>
    public int Blocks(int span) => _starts[span + 1] - _starts[span];

    /// <summary>The input channels every block of span <paramref name="span"/> reads (<see cref="Conv3x3Packing.InputChannelRange"/>).</summary>
    public (int First, int Count) InputRange(int span) => (_firstInputs[span], _inputCounts[span]);

    /// <summary>
    /// Offset of span <paramref name="span"/>'s first block in the layer's direct packing
    /// (<see cref="Conv3x3Packing"/>), in floats; a Winograd packing's offset at each point is a ninth of it.
    /// </summary>
    public long WeightOffset(int span) => _weightOffsets[span];

    /// <summary>Cuts <paramref name="layer"/>'s output blocks into pairs where <paramref name="pairs"/> allows and the blocks read the same inputs, else single blocks.</summary>
    public void Plan(Conv3x3Layer layer, bool pairs)
    {
        int blocks = Conv3x3Packing.OutputBlockCount(layer.OutChannels);
        if (_starts.Length < blocks + 1)
        {
            _starts = new int[blocks + 1];
            _firstInputs = new int[blocks];
            _inputCounts = new int[blocks];
            _weightOffsets = new long[blocks];
        }
        Count = 0;
        long offset = 0;
        var range = Conv3x3Packing.InputChannelRange(0, layer.InChannels, layer.OutChannels, layer.Groups);
        for (int block = 0; block < blocks; Count++)
        {
            (_starts[Count], _firstInputs[Count], _inputCounts[Count], _weightOffsets[Count]) = (block, range.First, range.Count, offset);
            int spanBlocks = 1;
            var next = block + 1 < blocks ? Conv3x3Packing.InputChannelRange(block + 1, layer.InChannels, layer.OutChannels, layer.Groups) : default;
            if (pairs && block + 1 < blocks && next == range)
            {
                spanBlocks = 2;
                next = block + 2 < blocks ? Conv3x3Packing.InputChannelRange(block + 2, layer.InChannels, layer.OutChannels, layer.Groups) : default;
            }
            offset += (long)spanBlocks * range.Count * Conv3x3Packing.FloatsPerInputChannel;
            block += spanBlocks;
            range = next;
        }
        _starts[Count] = blocks;
    }
}
