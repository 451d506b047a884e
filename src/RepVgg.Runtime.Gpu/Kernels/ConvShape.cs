namespace RepVgg.Gpu.Kernels;

/// <summary>
/// One conv3x3 (padding 1) launch's shapes, passed to the kernels by value. Activations are NCHW on the device;
/// <see cref="Pixels"/> is the implicit GEMM's N: batch x output pixels. Every index fits an int: the engine
/// sizes its buffers below <see cref="int.MaxValue"/> floats.
/// </summary>
internal readonly struct ConvShape
{
    public ConvShape(Conv3x3Layer layer, int batch)
    {
        InChannels = layer.InChannels;
        InHeight = layer.InHeight;
        InWidth = layer.InWidth;
        OutChannels = layer.OutChannels;
        OutHeight = layer.OutHeight;
        OutWidth = layer.OutWidth;
        Stride = layer.Stride;
        InPerGroup = layer.InChannels / layer.Groups;
        OutPerGroup = layer.OutChannels / layer.Groups;
        Pixels = batch * layer.OutHeight * layer.OutWidth;
        ReluFloor = ReluFloorOf(layer);
    }

    /// <summary>
    /// What the output is clamped from below to: 0, ReLU; or minus infinity, none, for a layer whose squeeze-and-excitation
    /// comes before its ReLU (and applies it).
    /// </summary>
    public static float ReluFloorOf(Conv3x3Layer layer) =>
        layer.Squeeze is { Placement: SqueezePlacement.BeforeRelu } ? float.NegativeInfinity : 0f;

    public int InChannels { get; }
    public int InHeight { get; }
    public int InWidth { get; }
    public int OutChannels { get; }
    public int OutHeight { get; }
    public int OutWidth { get; }
    public int Stride { get; }
    public int InPerGroup { get; }
    public int OutPerGroup { get; }
    public int Pixels { get; }

    /// <summary>The epilogue's <c>max(value, ReluFloor)</c>: <see cref="ReluFloorOf"/>.</summary>
    public float ReluFloor { get; }

    /// <summary>The GEMM's K: input channels of a group x 9 taps.</summary>
    public int Reduction => InPerGroup * 9;

    /// <summary>Input pixels of one channel of one image.</summary>
    public int InPlane => InHeight * InWidth;

    /// <summary>Output pixels of one image.</summary>
    public int OutPlane => OutHeight * OutWidth;
}
