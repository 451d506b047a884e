using System.Globalization;
using System.Numerics;
using System.Text;

namespace RepVgg.Visualization;

/// <summary>
/// C's <c>%-7.3f</c> as CPython (and so <c>np.savetxt</c>) prints a float32 value: the exact binary
/// value rounded to 3 decimals, ties to even, left-aligned in 7 characters, <c>nan</c>, <c>inf</c>
/// and <c>-inf</c> for the non-finite values, and the sign kept on a negative value that rounds to 0.
/// </summary>
/// <remarks>
/// The rule C and CPython follow (the exact binary value, ties to even: 0.0625 gives "0.062",
/// 0.1875 gives "0.188") is written out here with <see cref="BigInteger"/> rather than left to
/// the runtime's "F3", whose rounding of ties is not documented. .NET 10's "F3" agreed on every
/// value tried, so this is about stating the rule, not working around a known difference.
/// </remarks>
internal static class PrintfFixed
{
    private const int Width = 7;
    private const int Decimals = 3;
    private static readonly BigInteger Scale = BigInteger.Pow(10, Decimals);

    public static void Append(StringBuilder text, float value)
    {
        int start = text.Length;
        if (float.IsNaN(value)) text.Append("nan");
        else if (float.IsPositiveInfinity(value)) text.Append("inf");
        else if (float.IsNegativeInfinity(value)) text.Append("-inf");
        else AppendFinite(text, value);
        int written = text.Length - start;
        if (written < Width) text.Append(' ', Width - written);
    }

    public static string Format(float value)
    {
        var text = new StringBuilder(Width);
        Append(text, value);
        return text.ToString();
    }

    private static void AppendFinite(StringBuilder text, double value)
    {
        // value = mantissa * 2^exponent exactly (a float32 widened to double loses nothing).
        long bits = BitConverter.DoubleToInt64Bits(value);
        bool negative = bits < 0;
        int biased = (int)((bits >> 52) & 0x7FF);
        long fraction = bits & 0xF_FFFF_FFFF_FFFFL;
        BigInteger mantissa = biased == 0 ? fraction : fraction | (1L << 52);
        int exponent = (biased == 0 ? 1 : biased) - 1075;

        // thousandths = round(mantissa * 2^exponent * 1000), ties to even.
        BigInteger thousandths;
        if (exponent >= 0)
        {
            thousandths = (mantissa << exponent) * Scale;
        }
        else
        {
            BigInteger numerator = mantissa * Scale;
            BigInteger denominator = BigInteger.One << -exponent;
            thousandths = BigInteger.DivRem(numerator, denominator, out BigInteger remainder);
            int half = (remainder * 2).CompareTo(denominator);
            if (half > 0 || (half == 0 && !thousandths.IsEven)) thousandths += 1;
        }

        BigInteger whole = BigInteger.DivRem(thousandths, Scale, out BigInteger part);
        if (negative) text.Append('-');
        text.Append(whole.ToString(CultureInfo.InvariantCulture));
        text.Append('.');
        text.Append(((int)part).ToString("D3", CultureInfo.InvariantCulture));
    }
}
