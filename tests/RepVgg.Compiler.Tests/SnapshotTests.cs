using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;
using RepVgg.Compiler.Snapshots;

namespace RepVgg.Compiler.Tests;

/// <summary>The pieces of a model snapshot (Snapshot="true"); BuildScenarioTests runs them in real builds.</summary>
public sealed class SnapshotTests
{
    [Fact]
    public void The_probe_image_is_the_one_every_committed_snapshot_was_computed_from()
    {
        // SplitMix64 of the index, 24 bits over 2^23 minus 1, worked out in Python's integers.
        float[] image = ProbeImage.Create(3, 32, 32);

        Assert.Equal(-0.6300854682922363f, image[0]);
        Assert.Equal(-0.6643105745315552f, image[1]);
        Assert.Equal(-0.07151329517364502f, image[2]);
        Assert.Equal(0.13496816158294678f, image[3071]);
        Assert.All(image, value => Assert.InRange(value, -1f, 0.99999988f));
    }

    [Fact]
    public void Logits_within_the_tolerance_count_as_unchanged_and_only_those_beyond_it_are_left_to_differ()
    {
        string snapshot = LogitsFingerprint.Format("Net", 3, 8, 8, [10f, -3f, 0.5f]);
        // 1e-4 of the largest logit (10) is 1e-3: class 0 moved by half of that, class 2 by a hundred times.
        string current = LogitsFingerprint.Format("Net", 3, 8, 8, [10.0005f, -3f, 0.6f]);

        string compared = LogitsFingerprint.WithinToleranceAsSnapshot(snapshot, current);

        Assert.Equal(["@@ -6 +6 @@", "-class 2: 0.5", "+class 2: 0.6"], LineDiff.Render(snapshot, compared));
        Assert.Equal(snapshot, LogitsFingerprint.WithinToleranceAsSnapshot(snapshot, LogitsFingerprint.Format("Net", 3, 8, 8, [10.0009f, -3.0009f, 0.5009f])));
        Assert.Equal([10, -3, 0.5], LogitsFingerprint.Parse(snapshot));
    }

    [Fact]
    public void A_long_diff_is_cut_at_the_limit_with_a_count_of_the_lines_left_out()
    {
        string expected = string.Join("\n", Enumerable.Range(0, 100).Select(i => $"old {i}"));
        string found = string.Join("\n", Enumerable.Range(0, 100).Select(i => $"new {i}"));

        IReadOnlyList<string> diff = LineDiff.Render(expected, found, maxLines: 40);

        // One hunk: its header, 100 removed and 100 added lines; 39 of the 200 fit under the header.
        Assert.Equal(41, diff.Count);
        Assert.Equal("@@ -1 +1 @@", diff[0]);
        Assert.Equal("-old 0", diff[1]);
        Assert.Equal("... 161 more lines differ", diff[^1]);
    }

    [Fact]
    public void RVG0042_when_the_generated_source_is_not_where_the_build_emits_it()
    {
        using var folder = new TemporaryFolder();
        string missing = folder.File("obj/generated/Net.g.cs"), logits = folder.File("Net.logits.txt");
        File.WriteAllText(logits, LogitsFingerprint.Format("Net", 3, 8, 8, [1f]));
        var snapshot = new ModelSnapshot(folder.File("RepVggSnapshots"), "Net");

        var error = Assert.Throws<CompilationException>(() => snapshot.Check(missing, logits, accept: false));

        Assert.Equal(DiagnosticIds.GeneratedSourceNotFound, error.Diagnostic.Id);
        Assert.Equal(missing, error.Diagnostic.File);
        Assert.Contains("found no Net.g.cs", error.Diagnostic.Message);
        Assert.False(Directory.Exists(snapshot.Directory), "No snapshot may be written without the generated source.");
    }

    [Fact]
    public void RVG0035_when_the_snapshot_folder_cannot_be_written()
    {
        using var folder = new TemporaryFolder();
        string generated = folder.File("Net.g.cs"), logits = folder.File("Net.logits.txt");
        File.WriteAllText(generated, "// generated");
        File.WriteAllText(logits, LogitsFingerprint.Format("Net", 3, 8, 8, [1f]));
        // A file where the folder should be: what a read-only folder is to a build that does not run as root.
        File.WriteAllText(folder.File("RepVggSnapshots"), "");
        var snapshot = new ModelSnapshot(folder.File("RepVggSnapshots"), "Net");

        var error = Assert.Throws<CompilationException>(() => snapshot.Check(generated, logits, accept: false));

        Assert.Equal(DiagnosticIds.OutputNotWritten, error.Diagnostic.Id);
        Assert.Equal(snapshot.SourcePath, error.Diagnostic.File);
        Assert.StartsWith($"Cannot write the snapshot '{snapshot.SourcePath}': ", error.Diagnostic.Message);
    }
}
