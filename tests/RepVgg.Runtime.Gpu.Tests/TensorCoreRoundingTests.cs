using RepVgg.Gpu.TensorCores;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// The emulated conversions (what the CPU accelerator runs where a GPU runs <c>cvt</c>) against independent
/// references: float64 arithmetic for TF32's round to nearest, ties away; .NET's <see cref="System.Half"/> for FP16.
/// </summary>
public class TensorCoreRoundingTests
{
    /// <summary>Floats across every binade, both signs, subnormals and the edges of half's range.</summary>
    private static IEnumerable<float> Sweep()
    {
        for (ulong bits = 0; bits <= uint.MaxValue; bits += 65521)
        {
            float value = BitConverter.UInt32BitsToSingle((uint)bits);
            if (float.IsFinite(value))
                yield return value;
        }
        foreach (float value in new[] { 0f, -0f, 65504f, 65519.996f, 65520f, -65520f, 6.1035156e-5f, 5.9604645e-8f, 2.9802322e-8f, 2.9802326e-8f, float.MaxValue, -float.MaxValue, float.Epsilon })
            yield return value;
    }

    /// <summary>TF32 rounding in float64: a multiple of 2^(e - 10) (e the float32 exponent, at least -126), ties away from zero.</summary>
    internal static double Tf32Reference(float value)
    {
        if (value == 0)
            return value;
        int exponent = Math.Max(Math.ILogB(value), -126);
        double unit = Math.ScaleB(1, exponent - 10);
        double rounded = Math.Round(value / unit, MidpointRounding.AwayFromZero) * unit;
        return Math.Abs(rounded) >= Math.ScaleB(1, 128) ? double.CopySign(double.PositiveInfinity, value) : rounded;
    }

    [Fact]
    public void Tf32_rounds_to_nearest_with_ties_away_from_zero()
    {
        // Exact ties first: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10.
        Assert.Equal(1 + Math.ScaleB(1, -10), BitConverter.UInt32BitsToSingle(TensorCoreRounding.RoundToTf32(1 + MathF.ScaleB(1, -11))));
        Assert.Equal(-(1 + Math.ScaleB(1, -10)), BitConverter.UInt32BitsToSingle(TensorCoreRounding.RoundToTf32(-(1 + MathF.ScaleB(1, -11)))));
        foreach (float value in Sweep().Concat(TiesBetweenTf32Values()))
        {
            float actual = BitConverter.UInt32BitsToSingle(TensorCoreRounding.RoundToTf32(value));
            double expected = Tf32Reference(value);
            Assert.True(actual.Equals((float)expected), $"TF32 of {value:R} (0x{BitConverter.SingleToUInt32Bits(value):X8}): expected {expected:R}, found {actual:R}.");
        }
        Assert.Equal(float.PositiveInfinity, BitConverter.UInt32BitsToSingle(TensorCoreRounding.RoundToTf32(float.PositiveInfinity)));
        Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle(TensorCoreRounding.RoundToTf32(float.NaN))));
        Assert.Equal(float.NegativeInfinity, BitConverter.UInt32BitsToSingle(TensorCoreRounding.RoundToTf32(float.NegativeInfinity)));
        // A quiet NaN keeps its quiet bit, which TF32 keeps, whatever its payload in the dropped bits.
        Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle(TensorCoreRounding.RoundToTf32(BitConverter.UInt32BitsToSingle(0x7FC0_0001)))));
    }

    private static IEnumerable<float> TiesBetweenTf32Values()
    {
        for (int exponent = -140; exponent < 127; exponent += 7)
            foreach (uint mantissa in new uint[] { 0x1000, 0x3000, 0x7FF000 })
            {
                float baseValue = MathF.ScaleB(1, exponent);
                float tie = BitConverter.UInt32BitsToSingle((BitConverter.SingleToUInt32Bits(baseValue) & 0xFF800000) | mantissa);
                yield return tie;
                yield return -tie;
            }
    }

    [Fact]
    public void Half_conversion_rounds_as_IEEE_half_does()
    {
        foreach (float value in Sweep().Concat(TiesBetweenHalfValues()))
        {
            uint expected = BitConverter.HalfToUInt16Bits((Half)value);
            uint actual = TensorCoreRounding.ToHalf(value);
            Assert.True(expected == actual, $"Half of {value:R} (0x{BitConverter.SingleToUInt32Bits(value):X8}): expected 0x{expected:X4}, found 0x{actual:X4}.");
        }
        Assert.Equal(0x7C00u, TensorCoreRounding.ToHalf(float.PositiveInfinity));
        Assert.True(Half.IsNaN(BitConverter.UInt16BitsToHalf((ushort)TensorCoreRounding.ToHalf(float.NaN))));
    }

    /// <summary>Values exactly halfway between neighbouring halves, normal and subnormal, both parities.</summary>
    private static IEnumerable<float> TiesBetweenHalfValues()
    {
        for (int bits = 0; bits < 0x7BFF; bits += 97)
        {
            float low = (float)BitConverter.UInt16BitsToHalf((ushort)bits), high = (float)BitConverter.UInt16BitsToHalf((ushort)(bits + 1));
            yield return (low + high) / 2;
            yield return -(low + high) / 2;
        }
    }

    [Fact]
    public void Every_half_converts_back_to_its_float_exactly()
    {
        for (uint bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            float actual = TensorCoreRounding.HalfToFloat(bits);
            Assert.True(expected.Equals(actual), $"Half 0x{bits:X4}: expected {expected:R}, found {actual:R}.");
        }
    }
}
