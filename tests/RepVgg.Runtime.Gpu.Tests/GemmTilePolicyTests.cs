using ILGPU;
using ILGPU.Runtime;
using RepVgg.Gpu.Kernels;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// When the GEMMs take their large tiles: from two large-tile groups per SM, where they pad a group's output channels
/// no more than the small tiles, or always or never when fixed.
/// </summary>
public class GemmTilePolicyTests
{
    private static KernelConfig Launch(int groups) => new(new Index3D(groups, 1, 1), new Index3D(TileGemm.Threads, 1, 1));

    [Theory]
    [InlineData(GemmTileSize.Auto, 263, 256, false)]  // an H200's 132 SMs: 2 x 132 = 264
    [InlineData(GemmTileSize.Auto, 264, 256, true)]
    [InlineData(GemmTileSize.Auto, 392, 512, true)]   // RepVGG-B1's stage3 at batch 64, where the H200 measured large tiles 1.1 to 1.4 times faster
    [InlineData(GemmTileSize.Auto, 1568, 48, false)]  // RepVGG-A0's 48-channel stage1 at batch 64: 37.5% of a large tile's rows, 75% of a small one's
    [InlineData(GemmTileSize.Auto, 1568, 96, true)]   // 96 channels pad to 128 either way
    [InlineData(GemmTileSize.Auto, 1568, 192, false)] // 192 fill three small tiles, 75% of two large ones
    [InlineData(GemmTileSize.Small, 100_000, 128, false)]
    [InlineData(GemmTileSize.Large, 1, 48, true)]
    internal void Large_tiles_from_two_groups_per_SM_where_they_pad_no_more(GemmTileSize size, int groups, int channels, bool large) =>
        Assert.Equal(large, new GemmTilePolicy(size, Multiprocessors: 132).UsesLarge(Launch(groups), channels));
}
