namespace RepVgg;

/// <summary>
/// One fused RepVGG block: conv3x3 (padding 1) + bias + ReLU, with a squeeze-and-excitation before or after the
/// ReLU in the SE networks. Weight and bias offsets are in
/// floats from the start of the model's weight blob; the weights are stored in the packed layout
/// of the layer's <see cref="Algorithm"/>, the bias padded to a multiple of 16.
/// </summary>
/// <param name="Name">The block's name in the checkpoint, e.g. <c>stage1.0</c>.</param>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Groups">Convolution groups; divides both channel counts.</param>
/// <param name="Stride">1 or 2.</param>
/// <param name="InHeight">Input height.</param>
/// <param name="InWidth">Input width.</param>
/// <param name="WeightOffset">Offset of the packed weights, in floats.</param>
/// <param name="BiasOffset">Offset of the bias, in floats.</param>
/// <param name="Algorithm">How the layer is computed, which decides its weights' layout.</param>
/// <param name="Squeeze">The squeeze-and-excitation that scales the layer's output, if it has one.</param>
public sealed record Conv3x3Layer(
    string Name, int InChannels, int OutChannels, int Groups, int Stride,
    int InHeight, int InWidth, long WeightOffset, long BiasOffset, ConvAlgorithm Algorithm = ConvAlgorithm.Direct,
    SqueezeExcitationUnit? Squeeze = null)
{
    /// <summary>Output height for padding 1: <c>(InHeight - 1) / Stride + 1</c>.</summary>
    public int OutHeight => (InHeight - 1) / Stride + 1;

    /// <summary>Output width for padding 1: <c>(InWidth - 1) / Stride + 1</c>.</summary>
    public int OutWidth => (InWidth - 1) / Stride + 1;
}

/// <summary>
/// Global average pooling followed by the linear classifier. The weight is row-major
/// (Classes, Features), the bias has Classes entries; offsets in floats into the blob.
/// </summary>
public sealed record LinearHead(int Features, int Classes, long WeightOffset, long BiasOffset);

/// <summary>The whole plain network a generated class describes: its input, its layers in order, its head.</summary>
public sealed record NetworkLayout(
    int InputChannels, int InputHeight, int InputWidth,
    IReadOnlyList<Conv3x3Layer> Layers, LinearHead Head)
{
    /// <summary>Floats in one input image: C x H x W.</summary>
    public int ImageLength => InputChannels * InputHeight * InputWidth;
}
