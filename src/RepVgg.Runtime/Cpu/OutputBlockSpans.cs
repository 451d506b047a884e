namespace RepVgg.Cpu;

/// <summary>
/// A layer's output blocks cut into spans of one or two, for kernels that compute two blocks of 16
/// output channels at once: twice the FMAs per loaded input value. Two blocks share a span only
/// when they read the same input channels (dense layers, and groups of 32 channels or more), so
/// that the second block's packed weights follow the first's. One instance per convolution,
/// reused: it grows only for a wider layer than before.
/// </summary>
internal sealed class OutputBlockSpans
{
    // Span i covers blocks [_starts[i], _starts[i + 1]).
    private int[] _starts = [];

    /// <summary>Spans planned by the last <see cref="Plan"/>.</summary>
    public int Count { get; private set; }

    /// <summary>First block of span <paramref name="span"/>.</summary>
    public int First(int span) => _starts[span];

    /// <summary>Blocks in span <paramref name="span"/>: 1 or 2.</summary>
    public int Blocks(int span) => _starts[span + 1] - _starts[span];

    /// <summary>Cuts <paramref name="layer"/>'s output blocks into pairs where <paramref name="pairs"/> allows and the blocks read the same inputs, else single blocks.</summary>
    public void Plan(Conv3x3Layer layer, bool pairs)
    {
        int blocks = Conv3x3Packing.OutputBlockCount(layer.OutChannels);
        if (_starts.Length < blocks + 1)
            _starts = new int[blocks + 1];
        Count = 0;
        for (int block = 0; block < blocks; Count++)
        {
            _starts[Count] = block;
            bool pair = pairs && block + 1 < blocks
                && Conv3x3Packing.InputChannelRange(block, layer.InChannels, layer.OutChannels, layer.Groups)
                    == Conv3x3Packing.InputChannelRange(block + 1, layer.InChannels, layer.OutChannels, layer.Groups);
            block += pair ? 2 : 1;
        }
        _starts[Count] = blocks;
    }
}
