using ILGPU;
using ILGPU.Runtime;
using RepVgg.Gpu.Kernels;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>When the GEMMs take their large tiles: from two large-tile groups per SM, or always or never when fixed.</summary>
public class GemmTilePolicyTests
{
    private static KernelConfig Launch(int groups) => new(new Index3D(groups, 1, 1), new Index3D(TileGemm.Threads, 1, 1));

    [Theory]
    [InlineData(GemmTileSize.Auto, 263, false)]  // an H200's 132 SMs: 2 x 132 = 264
    [InlineData(GemmTileSize.Auto, 264, true)]
    [InlineData(GemmTileSize.Auto, 392, true)]   // RepVGG-B1's stage3 at batch 64, where the H200 measured large tiles 1.1 to 1.4 times faster
    [InlineData(GemmTileSize.Small, 100_000, false)]
    [InlineData(GemmTileSize.Large, 1, true)]
    internal void Large_tiles_from_two_groups_per_SM(GemmTileSize size, int groups, bool large) =>
        Assert.Equal(large, new GemmTilePolicy(size, Multiprocessors: 132).UsesLarge(Launch(groups)));
}
