using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RepVgg.Cli.Verification;

/// <summary><c>repvgg verify</c>'s output: a table per image and the overall figures, or the same as one JSON object.</summary>
internal static class VerificationOutput
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // An infinite error (a NaN logit) is written as "Infinity" rather than failing to serialize.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Json(FusedNetworkCheck.Report report) => JsonSerializer.Serialize(report, JsonOptions);

    public static void WriteTable(FusedNetworkCheck.Report report, TextWriter output)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        foreach (string warning in report.Warnings) output.WriteLine(warning);
        output.WriteLine($"{report.Checkpoint} ({report.Variant}) on {report.Input}: {report.Images} image(s) of {report.Channels} x {report.Height} x {report.Width}");
        output.WriteLine("fused float32 network (the compiled blob on the CPU engine) against the unfused float64 reference:");
        output.WriteLine();
        string[] header = ["image", "relative L2", "max |error|", "top-1 fused", "top-1 reference"];
        List<string[]> rows = [.. report.PerImage.Select(e => new[]
        {
            e.Image.ToString(c), e.RelativeL2.ToString("0.00E+00", c), e.MaxAbsError.ToString("0.00E+00", c),
            e.Top1Fused.ToString(c), e.Top1Reference.ToString(c) + (e.Top1Agrees ? "" : "  (differs)"),
        })];
        rows.Add(["all", report.RelativeL2.ToString("0.00E+00", c), report.MaxAbsError.ToString("0.00E+00", c), $"{report.Top1Agreements}/{report.Images} agree", ""]);
        int[] widths = [.. header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length)))];
        string Format(string[] cells) => string.Join("  ", cells.Select((cell, i) => i < 4 ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]))).TrimEnd();
        output.WriteLine(Format(header));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (string[] row in rows) output.WriteLine(Format(row));
        output.WriteLine();
        double worst = report.PerImage.Max(e => e.RelativeL2);
        output.WriteLine(report.Passed
            ? $"passed: every image's relative L2 error is within the tolerance {report.Tolerance.ToString("G3", c)} (worst {worst.ToString("0.00E+00", c)})"
            : $"FAILED: {report.PerImage.Count(e => !(e.RelativeL2 <= report.Tolerance))} image(s) exceed the relative L2 tolerance {report.Tolerance.ToString("G3", c)} (worst {worst.ToString("0.00E+00", c)})");
    }
}
