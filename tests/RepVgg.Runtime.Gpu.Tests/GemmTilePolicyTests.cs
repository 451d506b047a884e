using ILGPU;
using ILGPU.Runtime;
using RepVgg.Gpu.Kernels;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>When the float32 GEMMs take their large tiles: from four large-tile groups per SM, or always or never when fixed.</summary>
public class GemmTilePolicyTests
{
    private static KernelConfig Launch(int groups) => new(new Index3D(groups, 1, 1), new Index3D(TileGemm.Threads, 1, 1));

    [Theory]
    [InlineData(GemmTileSize.Auto, 527, false)]  // an H200's 132 SMs: 4 x 132 = 528
    [InlineData(GemmTileSize.Auto, 528, true)]
    [InlineData(GemmTileSize.Small, 100_000, false)]
    [InlineData(GemmTileSize.Large, 1, true)]
    internal void Large_tiles_from_four_groups_per_SM(GemmTileSize size, int groups, bool large) =>
        Assert.Equal(large, new GemmTilePolicy(size, Multiprocessors: 132).UsesLarge(Launch(groups)));
}
