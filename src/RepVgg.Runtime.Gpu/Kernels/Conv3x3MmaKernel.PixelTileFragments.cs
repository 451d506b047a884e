namespace RepVgg.Gpu.Kernels;

internal static partial class Conv3x3MmaKernel
{
    /// <summary>A lane's B fragments of a word block, one per pixel tile of its warp.</summary>
    private readonly struct PixelTileFragments(Words2 b0, Words2 b1, Words2 b2, Words2 b3)
    {
        public readonly Words2 B0 = b0, B1 = b1, B2 = b2, B3 = b3;
    }
}
