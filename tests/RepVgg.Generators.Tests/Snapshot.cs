using DiffPlex.Renderer;
using Microsoft.CodeAnalysis;

namespace RepVgg.Generators.Tests;

/// <summary>
/// Compares generated files with <c>Snapshots/&lt;Test&gt;/&lt;HintName&gt;.verified.cs</c> beside the test. A
/// difference writes <c>.received.cs</c> and fails with a unified diff; the set of files is compared too
/// (a file no longer generated fails). <c>REPVGG_ACCEPT_SNAPSHOTS=1</c> accepts what was generated.
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "REPVGG_ACCEPT_SNAPSHOTS";


    /// <summary>Checks every file the run generated against the test's snapshot folder.</summary>
    public static void Verify(
        GeneratorDriverRunResult result,
        [System.Runtime.CompilerServices.CallerMemberName] string testName = "",
        [System.Runtime.CompilerServices.CallerFilePath] string testFile = "")
    {
        Dictionary<string, string> generated = result.Results
            .SelectMany(generator => generator.GeneratedSources)
            .ToDictionary(source => Path.GetFileNameWithoutExtension(source.HintName), source => source.SourceText.ToString());
        Verify(
            Path.Combine(Path.GetDirectoryName(testFile)!, "Snapshots", testName),
            generated,
            accept: Environment.GetEnvironmentVariable(AcceptVariable) == "1");
    }

    /// <summary>
    /// Checks <paramref name="generated"/> (file stem to text) against the snapshots in <paramref name="directory"/>,
    /// named <c>&lt;stem&gt;.verified&lt;extension&gt;</c>.
    /// </summary>
    public static void Verify(string directory, IReadOnlyDictionary<string, string> generated, bool accept, string extension = ".cs")
    {
        string verifiedSuffix = ".verified" + extension, receivedSuffix = ".received" + extension;
        Directory.CreateDirectory(directory);
        var failures = new List<string>();
        foreach ((string stem, string text) in generated.OrderBy(file => file.Key, StringComparer.Ordinal))
        {
            string verifiedPath = Path.Combine(directory, stem + verifiedSuffix);
            string receivedPath = Path.Combine(directory, stem + receivedSuffix);
            string? verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).ReplaceLineEndings("\n") : null;
            if (verified == text || accept)
            {
                if (verified != text) File.WriteAllText(verifiedPath, text);
                File.Delete(receivedPath);
                continue;
            }

            File.WriteAllText(receivedPath, text);
            failures.Add(verified is null
                ? $"{stem}{verifiedSuffix} does not exist; the generated file is in {receivedPath}."
                : UnidiffRenderer.GenerateUnidiff(verified, text, stem + verifiedSuffix, stem + receivedSuffix, false, false, 3));
        }

        foreach (string verifiedPath in Directory.GetFiles(directory, "*" + verifiedSuffix).Order(StringComparer.Ordinal))
        {
            string stem = Path.GetFileName(verifiedPath)[..^verifiedSuffix.Length];
            if (generated.ContainsKey(stem)) continue;
            if (accept) File.Delete(verifiedPath);
            else failures.Add($"{stem}{verifiedSuffix} is no longer generated.");
        }

        if (failures.Count > 0)
            Assert.Fail($"Generated files differ from the snapshots in {directory}:\n\n{string.Join("\n\n", failures)}\n\n" +
                $"Review the {receivedSuffix} files; set {AcceptVariable}=1 and rerun to accept them.");
    }
}
