namespace RepVgg.Gpu.Kernels;

/// <summary>
/// A thread's 4 x 4 output block of <see cref="Conv3x3GemmKernel"/>: 16 named fields rather than an array, so
/// ILGPU keeps them in registers (a local array would live in local memory). Row i is an output channel,
/// column j a pixel.
/// </summary>
internal struct Accumulators4x4
{
    public float C00, C01, C02, C03;
    public float C10, C11, C12, C13;
    public float C20, C21, C22, C23;
    public float C30, C31, C32, C33;

    /// <summary>Adds the outer product of the weights a (4 channels) and the inputs b (4 pixels).</summary>
    public void MultiplyAdd(float a0, float a1, float a2, float a3, float b0, float b1, float b2, float b3)
    {
        C00 += a0 * b0; C01 += a0 * b1; C02 += a0 * b2; C03 += a0 * b3;
        C10 += a1 * b0; C11 += a1 * b1; C12 += a1 * b2; C13 += a1 * b3;
        C20 += a2 * b0; C21 += a2 * b1; C22 += a2 * b2; C23 += a2 * b3;
        C30 += a3 * b0; C31 += a3 * b1; C32 += a3 * b2; C33 += a3 * b3;
    }
}
