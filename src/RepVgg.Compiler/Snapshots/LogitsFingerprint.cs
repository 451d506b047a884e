using System.Globalization;
using RepVgg.Manifest;

namespace RepVgg.Compiler.Snapshots;

/// <summary>
/// What a compiled network computes, as text a project can commit: its logits for <see cref="ProbeImage"/>,
/// one line per class, 6 significant digits. Two fingerprints of the same network agree within
/// <see cref="Tolerance"/> even when computed by kernels of another SIMD width; any change to the weights,
/// the architecture or the input size moves them far beyond it.
/// </summary>
public static class LogitsFingerprint
{
    /// <summary>
    /// Largest difference of one logit, relative to the largest logit magnitude of the snapshot, that still
    /// counts as the same network: float32 sums in another order (Vector512, Vector256 or scalar kernels)
    /// move logits by about 1e-6 of that, and printing 6 digits by up to 5e-6.
    /// </summary>
    public const double Tolerance = 1e-4;

    private const string ValuePrefix = "class ";

    /// <summary>The fingerprint of the network <paramref name="manifest"/> describes, compiled for <paramref name="height"/> x <paramref name="width"/>.</summary>
    public static string Compute(string className, ModelManifest manifest, float[] blob, int height, int width)
    {
        float[] image = ProbeImage.Create(manifest.InputChannels, height, width);
        float[] logits = NetworkLayouts.Infer(manifest, blob, image, height, width);
        return Format(className, manifest.InputChannels, height, width, logits);
    }

    /// <summary>The text of a fingerprint: a header saying what it is, then <c>class i: value</c> lines.</summary>
    public static string Format(string className, int channels, int height, int width, IReadOnlyList<float> logits)
    {
        var text = new System.Text.StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"# Logits of {className} (the compiled float32 network) for the RepVgg probe image: 1 x {channels} x {height} x {width},\n");
        text.Append("# fixed pseudo-random values in [-1, 1) (RepVgg.Compiler.Snapshots.ProbeImage). The build compares them\n");
        text.Append(CultureInfo.InvariantCulture, $"# with this file to {Tolerance:G1} of the largest logit; see the README's \"Snapshots\".\n");
        for (int i = 0; i < logits.Count; i++)
            text.Append(CultureInfo.InvariantCulture, $"{ValuePrefix}{i}: {logits[i].ToString("G6", CultureInfo.InvariantCulture)}\n");
        return text.ToString();
    }

    /// <summary>The logits of a fingerprint's text, in class order (its other lines are not values).</summary>
    public static double[] Parse(string text) =>
        Lines(text).Select(Value).Where(value => value is not null).Select(value => value!.Value).ToArray();

    /// <summary>
    /// <paramref name="current"/> with each logit that agrees with <paramref name="snapshot"/>'s (same line,
    /// within <see cref="Tolerance"/>) replaced by the snapshot's line: equal texts then mean the same network,
    /// and a line diff of the two shows only the logits that moved.
    /// </summary>
    public static string WithinToleranceAsSnapshot(string snapshot, string current)
    {
        string[] snapshotLines = Lines(snapshot), currentLines = Lines(current);
        double[] snapshotValues = Parse(snapshot);
        double scale = snapshotValues.Length == 0 ? 0 : snapshotValues.Max(Math.Abs);
        for (int i = 0; i < Math.Min(snapshotLines.Length, currentLines.Length); i++)
        {
            if (Value(snapshotLines[i]) is { } expected && Value(currentLines[i]) is { } found
                && Label(snapshotLines[i]) == Label(currentLines[i]) && Math.Abs(expected - found) <= Tolerance * scale)
                currentLines[i] = snapshotLines[i];
        }
        return string.Join("\n", currentLines);
    }

    private static string[] Lines(string text) => text.ReplaceLineEndings("\n").Split('\n');

    private static string Label(string line) => line[..(line.IndexOf(':') + 1)];

    private static double? Value(string line) =>
        line.StartsWith(ValuePrefix, StringComparison.Ordinal) && line.IndexOf(':') is > 0 and int colon
        && double.TryParse(line[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : null;
}
