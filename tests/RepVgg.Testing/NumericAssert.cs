using System.Globalization;
using System.Text;
using Xunit.Sdk;

namespace RepVgg.Testing;

/// <summary>Compares computed values with a reference and, on failure, says where and by how much they differ.</summary>
public static class NumericAssert
{
    /// <summary>The float32 tolerance of this project: relative L2 error against a float64 reference.</summary>
    public const double Float32Tolerance = 1e-5;

    /// <summary>
    /// Passes when ||actual - expected||_2 / ||expected||_2 &lt;= <paramref name="relativeL2"/> (an
    /// all-zero expectation, e.g. everything clipped by ReLU, is compared absolutely). The failure
    /// message gives the relative L2 error, the max absolute error and where it is, and the first
    /// mismatching elements: those whose error exceeds the tolerance scaled to the reference's RMS.
    /// Indices are printed in <paramref name="shape"/> (row-major) when given.
    /// </summary>
    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double relativeL2, string what, int[]? shape = null)
    {
        if (expected.Length != actual.Length)
            throw new XunitException($"{what}: expected {expected.Length} values, found {actual.Length}.");
        double errorSquares = 0, expectedSquares = 0, maxError = 0;
        int maxErrorIndex = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Error(expected[i], actual[i]);
            errorSquares += error * error;
            expectedSquares += expected[i] * expected[i];
            if (error > maxError) (maxError, maxErrorIndex) = (error, i);
        }
        double relative = expectedSquares == 0 ? Math.Sqrt(errorSquares) : Math.Sqrt(errorSquares / expectedSquares);
        if (relative <= relativeL2) return;

        double elementTolerance = relativeL2 * Math.Max(Math.Sqrt(expectedSquares / Math.Max(expected.Length, 1)), 1e-30);
        var message = new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"{what}: relative L2 error {relative:E3} > {relativeL2:E1}; max |error| {maxError:E3} at [{Index(maxErrorIndex, shape)}], over {expected.Length} values.");
        message.AppendLine().Append("First mismatches [index]: expected, actual:");
        for (int i = 0, listed = 0; i < expected.Length && listed < 8; i++)
        {
            if (Error(expected[i], actual[i]) > elementTolerance)
            {
                message.AppendLine().Append(CultureInfo.InvariantCulture, $"  [{Index(i, shape)}]: {expected[i]:R}, {actual[i]:R}");
                listed++;
            }
        }
        throw new XunitException(message.ToString());
    }

    /// <inheritdoc cref="Close(ReadOnlySpan{double}, ReadOnlySpan{double}, double, string, int[])"/>
    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double relativeL2, string what, int[]? shape = null) =>
        Close(expected, Widen(actual), relativeL2, what, shape);

    /// <summary>Float32 against float32 at <see cref="Float32Tolerance"/>, indices printed in <paramref name="shape"/>.</summary>
    public static void Close(float[] expected, float[] actual, int[] shape, string what) =>
        Close(Widen(expected), Widen(actual), Float32Tolerance, what, shape);

    /// <summary>The indices of the <paramref name="k"/> largest values of row <paramref name="row"/>, largest first.</summary>
    public static int[] TopK(ReadOnlySpan<float> values, int row, int classes, int k)
    {
        float[] slice = values.Slice(row * classes, classes).ToArray();
        return Enumerable.Range(0, classes).OrderByDescending(i => slice[i]).Take(k).ToArray();
    }

    private static double Error(double expected, double actual)
    {
        double error = Math.Abs(actual - expected);
        return double.IsNaN(error) ? double.PositiveInfinity : error;
    }

    private static double[] Widen(ReadOnlySpan<float> values)
    {
        var widened = new double[values.Length];
        for (int i = 0; i < values.Length; i++) widened[i] = values[i];
        return widened;
    }

    private static string Index(int flat, int[]? shape)
    {
        if (shape is null) return flat.ToString(CultureInfo.InvariantCulture);
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return string.Join(", ", index);
    }
}
