using System.Globalization;

namespace RepVgg.Cli.Inspection;

/// <summary><c>repvgg inspect</c>'s text output: the layer table, the summary, then every diagnostic line.</summary>
internal static class InspectionTable
{
    public static void Write(CheckpointInspection inspection, TextWriter output)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        // A network with squeeze-and-excitation gets a column for it after the branches.
        bool squeezes = inspection.Layers.Any(l => l.Squeeze is not null);
        string[] header = ["stage", "block", "name", "in -> out", "stride", "groups", "branches", .. squeezes ? new[] { "squeeze-excitation" } : [],
            $"output ({inspection.InputHeight}x{inspection.InputWidth} in)", "MFLOPs"];
        List<string[]> rows = [.. inspection.Layers.Select(l => (string[])
        [
            l.Stage.ToString(c), l.Block.ToString(c), l.Name, $"{l.InChannels} -> {l.OutChannels}", l.Stride.ToString(c),
            l.Groups.ToString(c), string.Join(" + ", l.Branches),
            .. squeezes ? new[] { l.Squeeze is { } se ? $"{l.OutChannels} -> {se.InternalChannels}, {se.Placement.Replace('-', ' ')}" : "" } : [],
            $"{l.OutputHeight} x {l.OutputWidth}", (l.Flops / 1e6).ToString("F1", c),
        ])];
        CheckpointInspection.Classifier head = inspection.Head;
        rows.Add(["head", "", head.Name, $"{head.Features} -> {head.Classes}", "", "", "linear (after global average pooling)", .. squeezes ? new[] { "" } : [],
            $"{head.Classes}", (head.Flops / 1e6).ToString("F1", c)]);

        int[] widths = [.. header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length)))];
        bool[] rightAligned = [true, true, false, false, true, true, false, .. squeezes ? new[] { false } : [], false, true];
        string Format(string[] cells) => string.Join("  ", cells.Select((cell, i) => rightAligned[i] ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]))).TrimEnd();
        output.WriteLine(Format(header));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (string[] row in rows) output.WriteLine(Format(row));
        output.WriteLine();

        (string, string)[] summary =
        [
            ("checkpoint", inspection.File),
            ("naming", inspection.Naming),
            ("kind", inspection.Kind == "deploy" ? "deploy (already fused)" : "training (branches fused by the compiler)"),
            ("variant", inspection.Variant),
            ("layers", $"{inspection.Layers.Count} fused conv3x3 layers in {inspection.Layers.Select(l => l.Stage).Distinct().Count()} stages (the stem is stage 0), {Count(inspection.InputChannels, "input channel")}, {Count(head.Classes, "class", "classes")}"),
            ("parameters", $"{inspection.CheckpointParameters.ToString("N0", c)} as the checkpoint holds them, {inspection.FusedParameters.ToString("N0", c)} fused"),
            ("GFLOPs", $"{inspection.GFlops.ToString("F4", c)} (fused network, {inspection.InputHeight} x {inspection.InputWidth} input, a multiply-add counted as 2 FLOPs)"),
            ("element types", string.Join(", ", inspection.ElementTypes.Select(e => $"{e.Name} ({Count(e.Tensors, "tensor")})"))),
            ("diagnostics", inspection.Diagnostics.Count == 0 ? "none" : $"{inspection.Diagnostics.Count}, below"),
        ];
        int labelWidth = summary.Max(s => s.Item1.Length) + 1;
        foreach ((string label, string value) in summary) output.WriteLine($"{(label + ":").PadRight(labelWidth)} {value}");
        foreach (CheckpointInspection.Diagnostic d in inspection.Diagnostics) output.WriteLine(d.Line);
    }

    /// <summary>A count and its noun, singular for one: a grayscale checkpoint has "1 input channel".</summary>
    private static string Count(int count, string singular, string? plural = null) =>
        $"{count} {(count == 1 ? singular : plural ?? singular + "s")}";
}
