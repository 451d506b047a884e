namespace RepVgg.Integration.Tests;

/// <summary>The fenced code blocks of one section of README.md, in order, as a newcomer copies them.</summary>
internal sealed record ReadmeSection(string Heading, IReadOnlyList<ReadmeSection.Block> Blocks)
{
    /// <summary>One fenced block: its language tag (<c>sh</c>, <c>xml</c>, <c>csharp</c>) and its text.</summary>
    public sealed record Block(string Language, string Text);

    /// <summary>The section under <paramref name="heading"/> (a <c>## </c> line) up to the next <c>## </c>.</summary>
    public static ReadmeSection Read(string heading)
    {
        string[] lines = RepositoryFiles.Read("README.md").ReplaceLineEndings("\n").Split('\n');
        int start = Array.IndexOf(lines, heading);
        if (start < 0) throw new InvalidOperationException($"README.md has no line '{heading}'.");
        var blocks = new List<Block>();
        for (int i = start + 1; i < lines.Length && !lines[i].StartsWith("## ", StringComparison.Ordinal); i++)
        {
            if (!lines[i].StartsWith("```", StringComparison.Ordinal)) continue;
            string language = lines[i][3..].Trim();
            int end = Array.FindIndex(lines, i + 1, line => line.StartsWith("```", StringComparison.Ordinal));
            blocks.Add(new Block(language, string.Join('\n', lines[(i + 1)..end]) + "\n"));
            i = end;
        }
        return new ReadmeSection(heading, blocks);
    }

    /// <summary>The blocks of one language, in order.</summary>
    public IReadOnlyList<string> Of(string language) => [.. Blocks.Where(block => block.Language == language).Select(block => block.Text)];
}
