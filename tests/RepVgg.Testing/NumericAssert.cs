using System.Globalization;
using System.Text;
using Xunit.Sdk;

namespace RepVgg.Testing;

/// <summary>Compares computed values with a reference and, on failure, says where and by how much they differ.</summary>
public static class NumericAssert
{
    /// <summary>
    /// Passes when ||actual - expected||_2 / ||expected||_2 &lt;= <paramref name="relativeL2"/>.
    /// The failure message lists the first mismatching indices (beyond the same relative size
    /// elementwise, scaled by the largest reference magnitude), the max absolute and the relative L2 error.
    /// </summary>
    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double relativeL2, string what)
    {
        var widened = new double[actual.Length];
        for (int i = 0; i < actual.Length; i++) widened[i] = actual[i];
        Close(expected, widened, relativeL2, what);
    }

    /// <inheritdoc cref="Close(ReadOnlySpan{double}, ReadOnlySpan{float}, double, string)"/>
    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double relativeL2, string what)
    {
        if (expected.Length != actual.Length)
            throw new XunitException($"{what}: expected {expected.Length} values, found {actual.Length}.");
        double errorSquares = 0, referenceSquares = 0, maxError = 0, maxReference = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = actual[i] - expected[i];
            if (double.IsNaN(error)) error = double.PositiveInfinity;
            errorSquares += error * error;
            referenceSquares += expected[i] * expected[i];
            maxError = Math.Max(maxError, Math.Abs(error));
            maxReference = Math.Max(maxReference, Math.Abs(expected[i]));
        }
        double relative = referenceSquares == 0 ? Math.Sqrt(errorSquares) : Math.Sqrt(errorSquares / referenceSquares);
        if (relative <= relativeL2) return;

        var message = new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"{what}: relative L2 error {relative:E3} > {relativeL2:E1}; max |error| {maxError:E3} over {expected.Length} values.");
        message.AppendLine().Append("First mismatches (index: expected, actual):");
        int shown = 0;
        for (int i = 0; i < expected.Length && shown < 8; i++)
        {
            if (!(Math.Abs(actual[i] - expected[i]) <= relativeL2 * maxReference))
            {
                message.AppendLine().Append(CultureInfo.InvariantCulture, $"  [{i}]: {expected[i]:R}, {actual[i]:R}");
                shown++;
            }
        }
        throw new XunitException(message.ToString());
    }

    /// <summary>The indices of the <paramref name="k"/> largest values of row <paramref name="row"/>, largest first.</summary>
    public static int[] TopK(ReadOnlySpan<float> values, int row, int classes, int k)
    {
        float[] slice = values.Slice(row * classes, classes).ToArray();
        return Enumerable.Range(0, classes).OrderByDescending(i => slice[i]).Take(k).ToArray();
    }
}
