using System.Runtime.Intrinsics;

namespace RepVgg.Cpu;

/// <summary>Which SIMD kernels the CPU engine runs. Every width computes the same packed layouts.</summary>
internal enum VectorWidth
{
    /// <summary>One float at a time: the reference the others are tested against, and the fallback anywhere.</summary>
    Scalar,

    /// <summary><c>Vector128</c>: what Arm64 (AdvSimd) accelerates; SSE on x64.</summary>
    Vector128,

    /// <summary><c>Vector256</c>: AVX2 with FMA.</summary>
    Vector256,

    /// <summary><c>Vector512</c>: AVX-512.</summary>
    Vector512,
}

/// <summary>Chooses the kernels' width.</summary>
internal static class VectorWidths
{
    /// <summary>The widest width this machine accelerates (Vector256 is emulated on Arm64, so it is skipped there).</summary>
    public static VectorWidth Widest =>
        Vector512.IsHardwareAccelerated ? VectorWidth.Vector512
        : Vector256.IsHardwareAccelerated ? VectorWidth.Vector256
        : Vector128.IsHardwareAccelerated ? VectorWidth.Vector128
        : VectorWidth.Scalar;
}
