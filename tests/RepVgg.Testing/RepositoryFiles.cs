namespace RepVgg.Testing;

/// <summary>The repository's own files, for tests that check them against each other (diagnostic IDs, release notes).</summary>
public static class RepositoryFiles
{
    // Build output and version control hold copies and generated files, not the sources.
    private static readonly string[] s_skipped = ["bin", "obj", ".git"];

    /// <summary>The text of a file, by its path from the repository root with '/' separators.</summary>
    public static string Read(string relativePath) =>
        File.ReadAllText(Path.Combine(PyTorchFixtures.RepositoryRoot, relativePath));

    /// <summary>
    /// The files under <paramref name="relativeFolder"/> (empty for the whole repository) whose names match
    /// <paramref name="pattern"/>, outside build output, as paths from the repository root with '/' separators.
    /// </summary>
    public static IReadOnlyList<string> Find(string relativeFolder, string pattern)
    {
        var found = new List<string>();
        var folders = new Stack<string>([Path.Combine(PyTorchFixtures.RepositoryRoot, relativeFolder)]);
        while (folders.Count > 0)
        {
            string folder = folders.Pop();
            found.AddRange(Directory.GetFiles(folder, pattern));
            foreach (string child in Directory.GetDirectories(folder))
            {
                if (!s_skipped.Contains(Path.GetFileName(child))) folders.Push(child);
            }
        }
        return [.. found.Select(path => Path.GetRelativePath(PyTorchFixtures.RepositoryRoot, path).Replace('\\', '/')).Order(StringComparer.Ordinal)];
    }
}
