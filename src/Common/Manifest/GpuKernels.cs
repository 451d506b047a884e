namespace RepVgg.Manifest;

/// <summary>
/// Which kernel a layer runs on the GPU backend. Winograd layers run the GPU's Winograd kernels with the blob's
/// transformed weights; a direct layer runs the stem kernel when <see cref="IsStem"/>, else the tiled implicit GEMM.
/// One rule, linked into the GPU engine (RepVgg.Runtime.Gpu, which dispatches by it) and the generator (which names
/// each layer's kernel in the generated class's layer table).
/// </summary>
internal static class GpuKernels
{
    /// <summary>
    /// A dense direct layer with at most this many input channels (a stem: 1 to 4 image channels) runs the stem kernel:
    /// its reduction, channels x 9, is too short to tile through shared memory as a GEMM.
    /// </summary>
    public const int StemMaxInputChannels = 4;

    /// <summary>The stem kernel's name in the generated layer table: a direct convolution with the weights in shared memory.</summary>
    public const string StemDirect = "stem-direct";

    /// <summary>The implicit GEMM's name: output channels x pixels, reduced over input channels x 9 taps, tiled.</summary>
    public const string ImplicitGemm = "implicit-gemm";

    /// <summary>
    /// The tensor-core implicit GEMM's name: the same GEMM on TF32 or FP16 matrix-multiply-accumulate instructions, which
    /// every layer but a <see cref="StemDirect"/> one runs, in place of the kernel in the layer table, when the engine's
    /// precision is reduced.
    /// </summary>
    public const string ImplicitGemmMma = "implicit-gemm-mma";

    /// <summary>Whether a direct layer with these channels and groups runs the stem kernel.</summary>
    public static bool IsStem(int inChannels, int groups) => groups == 1 && inChannels <= StemMaxInputChannels;
}
