namespace RepVgg;

/// <summary>Where a generated network runs.</summary>
public enum Backend
{
    /// <summary>The GPU when one is usable, else the CPU. Until the GPU backend lands: the CPU.</summary>
    Auto,
    /// <summary>SIMD CPU kernels, multi-threaded.</summary>
    Cpu,
    /// <summary>ILGPU kernels on an NVIDIA GPU. Not available yet.</summary>
    Gpu,
}
