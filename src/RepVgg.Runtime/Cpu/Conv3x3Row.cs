namespace RepVgg.Cpu;

/// <summary>
/// One kernel call: one output row of one block of 16 output channels, for one image.
/// All pointers are into the activation buffers or the weight blob; strides are in floats.
/// </summary>
internal readonly unsafe struct Conv3x3Row
{
    /// <summary>
    /// Top-left of the 3 x 3 windows of the row: the input image (<see cref="ChannelBlockedLayout"/>) at
    /// channel block 0, lane 0, padded row <c>outputRow * stride</c>, padded column 0.
    /// </summary>
    public float* InputWindowTop { get; init; }

    /// <summary>Floats between input channel blocks.</summary>
    public long InputChannelBlockFloats { get; init; }

    /// <summary>Floats between padded input rows.</summary>
    public long InputRowFloats { get; init; }

    /// <summary>First input channel the block reads.</summary>
    public int FirstInputChannel { get; init; }

    /// <summary>Input channels the block reads, from <see cref="FirstInputChannel"/>.</summary>
    public int InputChannelCount { get; init; }

    /// <summary>The block's packed weights, (InputChannelCount, 3, 3, 16); see <see cref="Conv3x3Packing"/>. Unaligned.</summary>
    public float* Weights { get; init; }

    /// <summary>The block's 16 biases. Unaligned.</summary>
    public float* Bias { get; init; }

    /// <summary>The output row's first interior pixel in this block, (OutputWidth, 16).</summary>
    public float* Output { get; init; }

    /// <summary>Output pixels in the row.</summary>
    public int OutputWidth { get; init; }

    /// <summary>
    /// Floats between output channel blocks: a kernel that computes two blocks writes the second at
    /// <c>Output + OutputChannelBlockFloats</c>, with weights after the first block's and the next 16 biases.
    /// </summary>
    public long OutputChannelBlockFloats { get; init; }

    /// <summary>Floats between the two blocks' weights for a two-block kernel: the first block's input channels x 9 x 16.</summary>
    public long BlockWeightFloats { get; init; }

    /// <summary>
    /// Whether the sums start from what <see cref="Output"/> holds (the partial sums of earlier input
    /// channels) instead of the bias: a layer whose weights do not fit in L1 runs in chunks of input channels.
    /// </summary>
    public bool Accumulate { get; init; }

    /// <summary>
    /// Whether ReLU is applied when storing: this call completes the sums of a layer whose output is ReLU'd (not one
    /// whose squeeze-and-excitation comes before its ReLU). Otherwise the sums are stored as they are: partial sums,
    /// or such a layer's output.
    /// </summary>
    public bool Relu { get; init; }
}
