using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// Chooses a GEMM launch's tile size. <see cref="GemmTileSize.Auto"/> takes the large tiles when their grid has at
/// least <see cref="MinLargeGroupsPerMultiprocessor"/> groups per SM: every large-tile kernel is compiled for two resident
/// groups per SM (256 threads at up to 128 registers, in float32 and on tensor cores), so that is at
/// least one full wave. Below it the small tiles' four times as many groups spread the work better. And it takes them
/// only where they pad a conv group's output channels (the GEMM's rows) no more than the small tiles do: a 48-channel
/// layer (RepVGG-A0's first stages) fills 37.5% of a 128-row tile and 75% of a 64-row one, a loss of twice the work
/// that the large tiles' better efficiency (1.1 to 1.4 times, below) does not repay.
/// </summary>
/// <remarks>
/// Measured on an NVIDIA H200 (132 SMs; docs/gpu.md): RepVGG-B1's layers at batch 64 with grids of 392 and 400 large
/// tiles, about 3 per SM, ran 1.08 to 1.29 times faster with them in float32 and 1.32 to 1.41 times on tensor cores,
/// and every layer with more ran faster with them too. From 2 to 3 per SM is reasoned from that, not measured; the
/// threshold was 4 before that run.
/// </remarks>
/// <param name="Size">The size asked for.</param>
/// <param name="Multiprocessors">The accelerator's SMs (ILGPU's <c>NumMultiprocessors</c>).</param>
internal readonly record struct GemmTilePolicy(GemmTileSize Size, int Multiprocessors)
{
    /// <summary>
    /// Large-tile groups per SM in a launch's grid from which <see cref="GemmTileSize.Auto"/> takes the large tiles: a
    /// threshold on the work, not the launch bound the large kernels are compiled for (<see cref="TileGemm.LargeResidentGroups"/>,
    /// <see cref="Conv3x3MmaKernel.LargeResidentGroups"/>), though both are 2 today.
    /// </summary>
    public const int MinLargeGroupsPerMultiprocessor = 2;

    /// <summary>Rows (output channels) and columns of a small tile, in every GEMM.</summary>
    public const int SmallTileSize = 64;

    /// <summary>Rows (output channels) and columns of a large tile, in every GEMM.</summary>
    public const int LargeTileSize = 128;

    /// <summary>
    /// Whether to run the large-tile kernel, whose launch would be <paramref name="largeLaunch"/>, for a GEMM whose rows
    /// are a conv group's <paramref name="channels"/> output channels.
    /// </summary>
    public bool UsesLarge(KernelConfig largeLaunch, int channels) => Size switch
    {
        GemmTileSize.Small => false,
        GemmTileSize.Large => true,
        _ => largeLaunch.GridDim.Size >= (long)MinLargeGroupsPerMultiprocessor * Multiprocessors && Padded(channels, LargeTileSize) == Padded(channels, SmallTileSize),
    };

    /// <summary><paramref name="channels"/> rounded up to whole tiles of <paramref name="size"/> rows.</summary>
    private static int Padded(int channels, int size) => (channels + size - 1) / size * size;
}
