namespace RepVgg.Checkpoints.Tests;

/// <summary>Exact comparisons of tensor values that print the first mismatches and the largest difference.</summary>
internal static class TensorAssert
{
    public static void Equal(IReadOnlyList<double> expected, IReadOnlyList<double> actual, string tensor)
    {
        Assert.True(expected.Count == actual.Count, $"{tensor}: expected {expected.Count} values, found {actual.Count}.");
        var mismatches = Enumerable.Range(0, expected.Count)
            .Where(i => BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]))
            .ToList();
        if (mismatches.Count == 0)
            return;
        double maxAbs = mismatches.Max(i => Math.Abs(expected[i] - actual[i]));
        string first = string.Join(", ", mismatches.Take(5).Select(i => $"[{i}] expected {expected[i]:R} found {actual[i]:R}"));
        Assert.Fail($"{tensor}: {mismatches.Count} of {expected.Count} values differ; max abs difference {maxAbs:R}; first: {first}.");
    }
}
