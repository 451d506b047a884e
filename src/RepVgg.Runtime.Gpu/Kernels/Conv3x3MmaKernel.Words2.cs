namespace RepVgg.Gpu.Kernels;

internal static partial class Conv3x3MmaKernel
{
    /// <summary>Two 32-bit words: word rows t and t + 4 of a word block at one pixel, a lane's B fragment (b0, b1).</summary>
    internal readonly struct Words2(uint w0, uint w1)
    {
        public readonly uint W0 = w0, W1 = w1;
    }
}
