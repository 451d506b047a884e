namespace RepVgg.Compiler.Writing;

/// <summary>float32 to the 16-bit formats, rounding to nearest with ties to even, as PyTorch does.</summary>
public static class FloatRounding
{
    /// <summary>IEEE binary16 bits of <paramref name="value"/>; overflow gives infinity, tiny values subnormals or zero.</summary>
    public static ushort ToFloat16Bits(float value) =>
        // .NET's float to Half conversion is the IEEE one: correctly rounded, ties to even.
        BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>bfloat16 bits of <paramref name="value"/>: the upper half of its float32 bits, rounded.</summary>
    public static ushort ToBFloat16Bits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        // Rounding would carry a NaN's payload into the exponent and could make it infinity; keep it a quiet NaN.
        if (float.IsNaN(value))
            return (ushort)((bits >> 16) | 0x0040);
        // Add just under half an ulp of bfloat16, plus one when the kept part is odd, so ties go to even.
        uint roundingBias = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }
}
