using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// The tile size of the float32 GEMMs (the implicit-GEMM conv and the Winograd GEMM): 64 x 64 tiles with 4 x 4
/// register blocks (<see cref="Small"/>), or 128 x 128 with 8 x 8 (<see cref="Large"/>, <see cref="LargeTileGemm"/>).
/// </summary>
internal enum GemmTileSize
{
    /// <summary>Per layer and batch, by <see cref="GemmTilePolicy"/>: what the engine does.</summary>
    Auto,

    /// <summary>Always 64 x 64: for tests and the GPU check's comparison.</summary>
    Small,

    /// <summary>Always 128 x 128: for tests and the GPU check's comparison.</summary>
    Large,
}

/// <summary>
/// Chooses a float32 GEMM launch's tile size. <see cref="GemmTileSize.Auto"/> takes the large tiles when their grid
/// has at least <see cref="LargeGroupsPerMultiprocessor"/> groups per SM: a large-tile group keeps 256 threads at about
/// 100 registers, so an SM holds two, and two full waves leave at most a quarter of the last one idle. Below that the
/// small tiles' four times as many groups spread the work better. The threshold is reasoned, not yet measured: the
/// GPU check times B1's layers with each size (tools/gpu-check).
/// </summary>
/// <param name="Size">The size asked for.</param>
/// <param name="Multiprocessors">The accelerator's SMs (ILGPU's <c>NumMultiprocessors</c>).</param>
internal readonly record struct GemmTilePolicy(GemmTileSize Size, int Multiprocessors)
{
    /// <summary>Large-tile groups per SM from which <see cref="GemmTileSize.Auto"/> takes the large tiles.</summary>
    public const int LargeGroupsPerMultiprocessor = 4;

    /// <summary>Whether to run the large-tile kernel, whose launch would be <paramref name="largeLaunch"/>.</summary>
    public bool UsesLarge(KernelConfig largeLaunch) => Size switch
    {
        GemmTileSize.Small => false,
        GemmTileSize.Large => true,
        _ => largeLaunch.GridDim.Size >= (long)LargeGroupsPerMultiprocessor * Multiprocessors,
    };
}
