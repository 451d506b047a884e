using System.Text;

namespace RepVgg.Runtime.Tests;

/// <summary>Compares float tensors with a magnitude-scaled tolerance and explains a mismatch.</summary>
internal static class NumericAssert
{
    /// <summary>Largest accepted relative L2 error, ||actual - expected|| / ||expected||.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>
    /// Fails unless <paramref name="actual"/> matches <paramref name="expected"/>, both of shape
    /// <paramref name="shape"/> (row-major), within <see cref="Tolerance"/> relative L2 error. The message
    /// gives the first mismatching indices, the max absolute error and the relative L2 error.
    /// </summary>
    public static void Close(float[] expected, float[] actual, int[] shape, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double errorSquares = 0, expectedSquares = 0, maxError = 0;
        int maxErrorIndex = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(error))
                error = double.PositiveInfinity;
            errorSquares += error * error;
            expectedSquares += (double)expected[i] * expected[i];
            if (error > maxError)
                (maxError, maxErrorIndex) = (error, i);
        }

        // Relative to the expected norm; an all-zero expectation (every output clipped by ReLU) is compared absolutely.
        double relativeL2 = Math.Sqrt(errorSquares) / Math.Max(Math.Sqrt(expectedSquares), 1e-30);
        if (expectedSquares == 0)
            relativeL2 = Math.Sqrt(errorSquares);
        if (relativeL2 <= Tolerance)
            return;

        // An element mismatches when its error exceeds the tolerance scaled to the tensor's RMS magnitude.
        double elementTolerance = Tolerance * Math.Max(Math.Sqrt(expectedSquares / expected.Length), 1e-30);
        var message = new StringBuilder()
            .AppendLine($"{what}: shape ({string.Join(", ", shape)}), relative L2 error {relativeL2:E3} > {Tolerance:E0}, " +
                        $"max absolute error {maxError:E3} at [{Index(maxErrorIndex, shape)}].")
            .AppendLine("First mismatches [index]: expected, actual:");
        int listed = 0;
        for (int i = 0; i < expected.Length && listed < 8; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]);
            if (error > elementTolerance || double.IsNaN(error))
            {
                message.AppendLine($"  [{Index(i, shape)}]: {expected[i]:G9}, {actual[i]:G9}");
                listed++;
            }
        }
        Assert.Fail(message.ToString());
    }

    private static string Index(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return string.Join(", ", index);
    }
}
