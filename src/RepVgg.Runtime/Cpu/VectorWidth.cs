namespace RepVgg.Cpu;

/// <summary>Which SIMD kernel the CPU engine runs.</summary>
internal enum VectorWidth
{
    /// <summary>Two <c>Vector256</c> per 16 output lanes; AVX2 machines.</summary>
    Vector256,

    /// <summary>One <c>Vector512</c> per 16 output lanes; AVX-512 machines.</summary>
    Vector512,
}
