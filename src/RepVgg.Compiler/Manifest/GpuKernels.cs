namespace RepVgg.Compiler.Manifest;

/// <summary>
/// The kernel each layer runs on the GPU backend, from its manifest algorithm and its input channels. One rule,
/// linked into the GPU engine (RepVgg.Runtime.Gpu, which dispatches by it) and the generator (which shows it in the
/// generated class's layer table).
/// </summary>
public static class GpuKernels
{
    /// <summary>
    /// A direct layer with at most this many input channels (a stem: 1 to 4 image channels) runs the stem kernel:
    /// its reduction, channels x 9, is too short to tile through shared memory as a GEMM.
    /// </summary>
    public const int StemMaxInputChannels = 4;

    /// <summary>The stem kernel: a direct convolution with the layer's weights in shared memory.</summary>
    public const string StemDirect = "stem-direct";

    /// <summary>Direct convolution as an implicit GEMM (output channels x pixels, reduced over channels x 9 taps), tiled.</summary>
    public const string ImplicitGemm = "implicit-gemm";

    /// <summary>The GPU kernel for a layer: Winograd layers run Winograd on the GPU too, with the blob's transformed weights.</summary>
    public static string For(string algorithm, int inChannels) => algorithm switch
    {
        ManifestAlgorithms.Winograd2x2 or ManifestAlgorithms.Winograd4x4 => algorithm,
        _ => inChannels <= StemMaxInputChannels ? StemDirect : ImplicitGemm,
    };
}
