namespace RepVgg.Gpu.Kernels;

/// <summary>Which <see cref="IStagingCopies"/> an engine's tensor-core kernel runs with: for the GPU check's comparison and tests.</summary>
internal enum TensorCoreStaging
{
    /// <summary><see cref="RegisterCopies"/>: what the engine does.</summary>
    Registers,

    /// <summary><see cref="AsyncCopies"/>, where a layer's groups read whole 16-byte lines (<see cref="VectorReads"/>, every RepVGG layer past the stem).</summary>
    AsyncCopies,
}
