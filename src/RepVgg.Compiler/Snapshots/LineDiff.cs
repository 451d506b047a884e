using DiffPlex;
using DiffPlex.Model;

namespace RepVgg.Compiler.Snapshots;

/// <summary>A unified-style line diff for the build log: hunks of <c>-</c> and <c>+</c> lines, cut after a limit.</summary>
public static class LineDiff
{
    /// <summary>
    /// The lines that differ between <paramref name="expected"/> (<c>-</c>) and <paramref name="found"/> (<c>+</c>),
    /// each hunk under an <c>@@ -line +line @@</c> header with 1-based line numbers; after
    /// <paramref name="maxLines"/> lines, one line saying how many more differ.
    /// </summary>
    public static IReadOnlyList<string> Render(string expected, string found, int maxLines = 40)
    {
        DiffResult diff = Differ.Instance.CreateLineDiffs(expected.ReplaceLineEndings("\n"), found.ReplaceLineEndings("\n"), ignoreWhitespace: false);
        var lines = new List<string>();
        int left = 0;
        foreach (DiffBlock block in diff.DiffBlocks)
        {
            IEnumerable<string> hunk = [
                $"@@ -{block.DeleteStartA + 1} +{block.InsertStartB + 1} @@",
                .. diff.PiecesOld.Skip(block.DeleteStartA).Take(block.DeleteCountA).Select(line => "-" + line),
                .. diff.PiecesNew.Skip(block.InsertStartB).Take(block.InsertCountB).Select(line => "+" + line),
            ];
            foreach (string line in hunk)
            {
                if (lines.Count < maxLines) lines.Add(line);
                else if (line[0] != '@') left++;
            }
        }
        if (left > 0) lines.Add($"... {left} more lines differ");
        return lines;
    }
}
