namespace RepVgg.Generators.Tests;

/// <summary>The snapshot helper itself: it must fail on every kind of difference, and accept on request.</summary>
public sealed class SnapshotTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "repvgg-snapshot-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_matching_file_passes_and_leaves_no_received_file()
    {
        Snapshot.Verify(_directory, new Dictionary<string, string> { ["A.g"] = "one\n" }, accept: true);

        Snapshot.Verify(_directory, new Dictionary<string, string> { ["A.g"] = "one\n" }, accept: false);

        Assert.Equal(["A.g.verified.cs"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void A_changed_file_fails_with_a_unified_diff_and_writes_the_received_file()
    {
        Snapshot.Verify(_directory, new Dictionary<string, string> { ["A.g"] = "one\ntwo\nthree\n" }, accept: true);

        var error = Assert.ThrowsAny<Exception>(() =>
            Snapshot.Verify(_directory, new Dictionary<string, string> { ["A.g"] = "one\nTWO\nthree\n" }, accept: false));

        Assert.Contains("-two", error.Message);
        Assert.Contains("+TWO", error.Message);
        Assert.Contains(Snapshot.AcceptVariable, error.Message);
        Assert.Equal("one\nTWO\nthree\n", File.ReadAllText(Path.Combine(_directory, "A.g.received.cs")));
    }

    [Fact]
    public void A_new_or_a_vanished_file_fails()
    {
        Snapshot.Verify(_directory, new Dictionary<string, string> { ["A.g"] = "one\n" }, accept: true);

        var added = Assert.ThrowsAny<Exception>(() =>
            Snapshot.Verify(_directory, new Dictionary<string, string> { ["A.g"] = "one\n", ["B.g"] = "two\n" }, accept: false));
        var vanished = Assert.ThrowsAny<Exception>(() =>
            Snapshot.Verify(_directory, new Dictionary<string, string>(), accept: false));

        Assert.Contains("B.g.verified.cs does not exist", added.Message);
        Assert.Contains("A.g.verified.cs is no longer generated", vanished.Message);
    }

    [Fact]
    public void Accepting_rewrites_the_snapshots_to_match()
    {
        Snapshot.Verify(_directory, new Dictionary<string, string> { ["A.g"] = "one\n" }, accept: true);

        Snapshot.Verify(_directory, new Dictionary<string, string> { ["B.g"] = "two\n" }, accept: true);

        Assert.Equal(["B.g.verified.cs"], Directory.GetFiles(_directory).Select(Path.GetFileName));
        Assert.Equal("two\n", File.ReadAllText(Path.Combine(_directory, "B.g.verified.cs")));
    }
}
