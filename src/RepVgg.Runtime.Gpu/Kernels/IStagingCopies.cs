namespace RepVgg.Gpu.Kernels;

/// <summary>
/// How <see cref="Conv3x3MmaKernel"/> moves a step's share of W and X from global into shared memory: through
/// registers (<see cref="RegisterCopies"/>, the engine's default, which the H200 has run) or by asynchronous copies
/// (<see cref="AsyncCopies"/>), timed against each other by the GPU check, or not at all (<see cref="NoCopies"/>, the
/// check's probe). Each is its own kernel, which tests its <see cref="Kind"/>, a constant.
/// </summary>
internal interface IStagingCopies
{
    /// <summary>Which staging this is, as engines and the GPU check name it.</summary>
    TensorCoreStaging Kind { get; }
}
