namespace RepVgg.Gpu.TensorCores;

/// <summary>
/// A number format of the tensor cores' inputs, as <see cref="Kernels.Conv3x3MmaKernel"/> uses it: values packed into
/// the 32-bit words of mma fragments, and the mma that multiplies a warp's fragments into float32 accumulators.
/// Implemented by empty structs, so a kernel generic over the format is compiled once per format with every
/// call inlined.
/// </summary>
internal interface ITensorCoreFormat
{
    /// <summary>Consecutive k values per 32-bit word: 1 for TF32, 2 for FP16.</summary>
    int ValuesPerWord { get; }

    /// <summary>
    /// The word holding <paramref name="first"/> and, if <see cref="ValuesPerWord"/> is 2, <paramref name="second"/>
    /// (the next k), each rounded to this format.
    /// </summary>
    uint Pack(float first, float second);

    /// <summary>The dot product of two words' values, each product exact in float32, summed in float32.</summary>
    float Dot(uint a, uint b);

    /// <summary>
    /// Adds the warp's 16 x 8 product of an A fragment (16 rows x 8 words) and a B fragment (8 words x 8 columns) to
    /// tile <paramref name="tile"/> of <paramref name="accumulators"/>; see <see cref="WarpAccumulators"/> for who holds what.
    /// Every lane of the warp must call it together.
    /// </summary>
    void MultiplyAccumulate(ref WarpAccumulators accumulators, int tile, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1);
}
