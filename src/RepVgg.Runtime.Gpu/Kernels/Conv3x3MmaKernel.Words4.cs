namespace RepVgg.Gpu.Kernels;

internal static partial class Conv3x3MmaKernel
{
    /// <summary>Four 32-bit words: a lane's A fragment (a0 to a3).</summary>
    internal readonly struct Words4(uint w0, uint w1, uint w2, uint w3)
    {
        public readonly uint W0 = w0, W1 = w1, W2 = w2, W3 = w3;
    }
}
