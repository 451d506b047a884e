using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;
using RepVgg.Compiler.Outputs;

namespace RepVgg.Compiler.Snapshots;

/// <summary>What became of one snapshot file in a build.</summary>
public enum SnapshotStatus
{
    /// <summary>There was none: this build's text was written as the snapshot.</summary>
    Created,
    /// <summary>This build agrees with the snapshot.</summary>
    Unchanged,
    /// <summary>This build differed and was accepted: the snapshot now holds its text.</summary>
    Accepted,
    /// <summary>This build differs from the snapshot, which was left as it was.</summary>
    Differs,
}

/// <summary>One snapshot file compared with this build's text.</summary>
/// <param name="SnapshotPath">The committed snapshot.</param>
/// <param name="CurrentPath">This build's file it was compared with (under obj/).</param>
/// <param name="Status">What happened.</param>
/// <param name="Diff">For <see cref="SnapshotStatus.Differs"/>, the line diff, snapshot <c>-</c>, this build <c>+</c>.</param>
/// <param name="Error">For <see cref="SnapshotStatus.Differs"/>, the build error that says so and how to accept it.</param>
public sealed record SnapshotComparison(string SnapshotPath, string CurrentPath, SnapshotStatus Status, IReadOnlyList<string> Diff, CompilerDiagnostic? Error);

/// <summary>
/// A user's model kept beside the project: <c>&lt;ClassName&gt;.g.cs</c>, the source the generator emitted, and
/// <c>&lt;ClassName&gt;.logits.txt</c>, the <see cref="LogitsFingerprint"/> of the compiled network. A build that
/// changes either fails until the change is accepted, so a new checkpoint or compiler never changes a shipped
/// network unnoticed.
/// </summary>
/// <param name="Directory">The snapshot folder, <c>RepVggSnapshots/</c> beside the project.</param>
/// <param name="ClassName">The generated class, which names the files.</param>
public sealed record ModelSnapshot(string Directory, string ClassName)
{
    /// <summary>The MSBuild property that accepts every snapshot change of a build.</summary>
    public const string AcceptProperty = "RepVggAcceptSnapshots";

    /// <summary>The committed copy of the generated source.</summary>
    public string SourcePath => Path.Combine(Directory, ClassName + ".g.cs");

    /// <summary>The committed logits fingerprint.</summary>
    public string LogitsPath => Path.Combine(Directory, ClassName + ".logits.txt");

    /// <summary>
    /// Compares this build's generated source and logits fingerprint (files under obj/) with the snapshots,
    /// writing a snapshot that does not exist yet, or one that differs when <paramref name="accept"/>.
    /// </summary>
    public IReadOnlyList<SnapshotComparison> Check(string generatedSourcePath, string logitsPath, bool accept)
    {
        if (!File.Exists(generatedSourcePath))
            throw new CompilationException(CompilerDiagnostic.Error(DiagnosticIds.GeneratedSourceNotFound, generatedSourcePath,
                $"The snapshot of {ClassName} needs the source the generator emitted, and found no {Path.GetFileName(generatedSourcePath)} " +
                $"in {Path.GetDirectoryName(generatedSourcePath)}; a build with -t:Rebuild emits it again."));
        return
        [
            Compare(SourcePath, generatedSourcePath, DiagnosticIds.SnapshotSourceDiffers, accept, (_, current) => current,
                $"The source generated for {ClassName} differs from the snapshot {SourcePath}"),
            Compare(LogitsPath, logitsPath, DiagnosticIds.SnapshotLogitsDiffer, accept, LogitsFingerprint.WithinToleranceAsSnapshot,
                $"The logits of {ClassName} for the probe image differ from the snapshot {LogitsPath} by more than {LogitsFingerprint.Tolerance:G1} of the largest"),
        ];
    }

    /// <param name="agreeing">This build's text with the differences that do not count replaced by the snapshot's.</param>
    /// <param name="difference">The start of the error's sentence: what differs.</param>
    private SnapshotComparison Compare(string snapshotPath, string currentPath, string errorId, bool accept,
        Func<string, string, string> agreeing, string difference)
    {
        string current = File.ReadAllText(currentPath).ReplaceLineEndings("\n");
        if (!File.Exists(snapshotPath))
        {
            OutputFile.WriteText(snapshotPath, "snapshot", current);
            return new(snapshotPath, currentPath, SnapshotStatus.Created, [], null);
        }

        string snapshot = File.ReadAllText(snapshotPath).ReplaceLineEndings("\n");
        string compared = agreeing(snapshot, current);
        if (compared == snapshot) return new(snapshotPath, currentPath, SnapshotStatus.Unchanged, [], null);
        if (accept)
        {
            OutputFile.WriteText(snapshotPath, "snapshot", current);
            return new(snapshotPath, currentPath, SnapshotStatus.Accepted, [], null);
        }

        var error = CompilerDiagnostic.Error(errorId, snapshotPath,
            $"{difference} (diff above: - snapshot, + this build's {currentPath}). " +
            $"If the change is intended, accept it: dotnet build -p:{AcceptProperty}=true, or delete the snapshot and build; then commit the snapshot.");
        return new(snapshotPath, currentPath, SnapshotStatus.Differs, LineDiff.Render(snapshot, compared), error);
    }
}
