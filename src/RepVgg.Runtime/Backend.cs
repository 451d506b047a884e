namespace RepVgg;

/// <summary>Where a generated network runs.</summary>
public enum Backend
{
    /// <summary>The GPU when ILGPU finds a CUDA device, else the CPU.</summary>
    Auto,
    /// <summary>SIMD CPU kernels, multi-threaded.</summary>
    Cpu,
    /// <summary>ILGPU kernels on an NVIDIA GPU (the RepVgg.Runtime.Gpu assembly); an error without one.</summary>
    Gpu,
}
