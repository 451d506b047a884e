using ILGPU;

namespace RepVgg.Gpu.TensorCores;

/// <summary>
/// The conversions the tensor-core path makes, in integer and float32 arithmetic that runs in a kernel: what
/// <c>cvt.rna.tf32.f32</c> and <c>cvt.rn.f16x2.f32</c> do on the GPU, computed where there is no PTX (ILGPU's CPU
/// accelerator, on which the tests run the tensor-core kernels).
/// </summary>
internal static class TensorCoreRounding
{
    private const uint SignBit = 0x8000_0000;
    private const uint ExponentBits = 0x7F80_0000;

    /// <summary>
    /// <paramref name="value"/> rounded to TF32 (10 mantissa bits; round to nearest, ties away from zero), as float32
    /// bits whose 13 low mantissa bits are zero: what <c>cvt.rna.tf32.f32</c> gives for every finite value and both
    /// infinities. A NaN stays NaN (its quiet bit is kept) unless it is a signalling NaN whose payload lies wholly in
    /// the 13 bits TF32 drops, which becomes an infinity: the price of two instructions instead of four (an add and a
    /// mask, no test of the exponent), which the tensor-core kernel pays for every value it stages. Its activations are
    /// never NaN (a ReLU maps NaN to zero), so only such a NaN in a network's input could meet it.
    /// </summary>
    public static uint RoundToTf32(float value) =>
        // Adding half a TF32 unit to the magnitude (the sign is a separate bit) and truncating rounds ties away from zero;
        // a carry into the exponent is the correctly rounded next binade, or infinity past the largest value. An
        // infinity's low bits are zero, so it stays itself.
        (Interop.FloatAsInt(value) + 0x1000) & 0xFFFF_E000;

    /// <summary>
    /// <paramref name="value"/> as IEEE half-precision bits (round to nearest, ties to even): subnormal halves below
    /// 2^-14, infinity from 65520 up (the first value that rounds past 65504), NaN stays NaN.
    /// </summary>
    public static uint ToHalf(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        uint sign = (bits >> 16) & 0x8000;
        uint magnitude = bits & ~SignBit;
        if (magnitude >= ExponentBits)
            return sign | 0x7C00 | (magnitude > ExponentBits ? 0x200u : 0u);
        if (magnitude >= 0x477F_F000) // 65520
            return sign | 0x7C00;
        if (magnitude < 0x3880_0000) // 2^-14: a subnormal half (or zero), a multiple of 2^-24
        {
            // Scaled by 2^24 the value is below 2^10, and adding then subtracting 2^23 rounds it to an integer, ties
            // to even, in float32. 1024 comes out as the smallest normal half's bits, as it should.
            float scaled = Interop.IntAsFloat(magnitude) * 16777216f;
            float rounded = scaled + 8388608f - 8388608f;
            return sign | (uint)rounded;
        }
        // A normal half: rebias the exponent (127 -> 15) and round the 23-bit mantissa to 10, ties to even; a carry
        // runs into the exponent as it should.
        uint rebiased = magnitude - 0x3800_0000;
        return sign | ((rebiased + 0xFFF + ((rebiased >> 13) & 1)) >> 13);
    }

    /// <summary>The float32 value of the half-precision bits in the low 16 bits of <paramref name="half"/> (exact).</summary>
    public static float HalfToFloat(uint half)
    {
        uint sign = (half & 0x8000) << 16;
        uint exponent = (half >> 10) & 0x1F;
        uint mantissa = half & 0x3FF;
        if (exponent == 0)
        {
            float subnormal = mantissa * 5.9604645e-8f; // 2^-24
            return Interop.IntAsFloat(Interop.FloatAsInt(subnormal) | sign);
        }
        if (exponent == 0x1F)
            return Interop.IntAsFloat(sign | ExponentBits | (mantissa << 13));
        return Interop.IntAsFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
