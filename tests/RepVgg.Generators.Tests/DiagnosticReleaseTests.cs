using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using RepVgg.Manifest;

namespace RepVgg.Generators.Tests;

/// <summary>
/// Every diagnostic ID, whoever reports it, is listed once in code (<see cref="DiagnosticIds"/>), in the
/// release files (DiagnosticReleases.Shipped.md and .Unshipped.md, in Roslyn's release-tracking format)
/// and in the table of docs/diagnostics.md, with one name and one severity everywhere; an ID is never reused.
/// </summary>
/// <remarks>
/// Here rather than in the compiler's tests because the generator's descriptors (internal) state the
/// severity of the IDs it reports; the weights step's come from the doc comments in DiagnosticIds.cs,
/// the MSBuild targets' from their Error and Warning tasks.
/// </remarks>
public sealed partial class DiagnosticReleaseTests
{
    private const string IdsSource = "src/Common/Manifest/DiagnosticIds.cs";

    /// <summary>Where users read what each ID means.</summary>
    private const string DiagnosticsPage = "docs/diagnostics.md";
    private static readonly string[] s_releaseFiles = ["DiagnosticReleases.Shipped.md", "DiagnosticReleases.Unshipped.md"];
    private static readonly string[] s_generatorReleaseFiles =
        ["generators/RepVgg.Generators/AnalyzerReleases.Shipped.md", "generators/RepVgg.Generators/AnalyzerReleases.Unshipped.md"];

    /// <summary>One row of a release file.</summary>
    /// <param name="Line">The row as written.</param>
    /// <param name="Name">The first word of its notes: the ID's name in <see cref="DiagnosticIds"/>.</param>
    /// <param name="Section"><c>New Rules</c> or <c>Removed Rules</c>.</param>
    /// <param name="Where">File and line, for messages.</param>
    private sealed record Rule(string Id, string Category, string Severity, string Name, string Line, string Section, string Where);

    /// <summary>The constants of <see cref="DiagnosticIds"/>: name to ID.</summary>
    private static readonly Dictionary<string, string> s_code = typeof(DiagnosticIds)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(field => field.IsLiteral)
        .ToDictionary(field => field.Name, field => (string)field.GetRawConstantValue()!);

    [Fact]
    public void Each_id_in_code_has_one_name_and_a_severity()
    {
        Assert.NotEmpty(s_code);
        Assert.Empty(s_code.GroupBy(pair => pair.Value).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key} is used by {string.Join(" and ", g.Select(pair => pair.Key))}"));
        Assert.All(s_code.Values, id => Assert.Matches("^RVG[0-9]{4}$", id));
        Assert.Equal(s_code.Keys.Order(), CodeSeverities().Keys.Order());
    }

    [Fact]
    public void Every_id_in_code_is_a_new_rule_once_and_every_other_listed_id_is_removed()
    {
        List<Rule> rules = ReadRules(s_releaseFiles);
        var problems = new List<string>();
        ILookup<string, Rule> added = rules.Where(rule => rule.Section == "New Rules").ToLookup(rule => rule.Id);
        var removed = rules.Where(rule => rule.Section == "Removed Rules").Select(rule => rule.Id).ToHashSet();

        foreach ((string name, string id) in s_code)
        {
            int count = added[id].Count();
            if (count != 1) problems.Add($"{id} ({name}) is a new rule {count} times in {string.Join(", ", s_releaseFiles)}; expected once.");
            if (removed.Contains(id)) problems.Add($"{id} ({name}) is still in {IdsSource} but listed under Removed Rules.");
        }
        foreach (Rule rule in rules.Where(rule => !s_code.ContainsValue(rule.Id) && !removed.Contains(rule.Id)))
            problems.Add($"{rule.Where}: {rule.Id} is not in {IdsSource}; expected it listed under Removed Rules as well.");

        Assert.Empty(problems);
    }

    [Fact]
    public void An_id_is_never_reused_under_another_name()
    {
        List<Rule> rules = ReadRules([.. s_releaseFiles, .. s_generatorReleaseFiles]);
        var problems = new List<string>();

        foreach (IGrouping<string, Rule> id in rules.GroupBy(rule => rule.Id).Where(g => g.Select(rule => rule.Name).Distinct().Count() > 1))
            problems.Add($"{id.Key} has the names {string.Join(", ", id.Select(rule => $"{rule.Name} ({rule.Where})"))}; an ID keeps one name.");
        foreach (IGrouping<string, Rule> name in rules.GroupBy(rule => rule.Name).Where(g => g.Select(rule => rule.Id).Distinct().Count() > 1))
            problems.Add($"{name.Key} names {string.Join(", ", name.Select(rule => $"{rule.Id} ({rule.Where})"))}; a name belongs to one ID.");
        foreach (Rule rule in rules.Where(rule => s_code.ContainsValue(rule.Id) && s_code.GetValueOrDefault(rule.Name) != rule.Id))
            problems.Add($"{rule.Where}: {rule.Id} is called {rule.Name}; {IdsSource} calls it {s_code.Single(pair => pair.Value == rule.Id).Key}.");

        Assert.Empty(problems);
    }

    [Fact]
    public void Release_rows_agree_with_the_severity_the_code_reports()
    {
        Dictionary<string, string> listed = ReadRules(s_releaseFiles).Where(rule => rule.Section == "New Rules")
            .GroupBy(rule => rule.Id).ToDictionary(g => g.Key, g => g.First().Severity);
        var problems = new List<string>();

        void Check(string id, string severity, string source)
        {
            if (!listed.TryGetValue(id, out string? release)) problems.Add($"{id}: {source} reports it, but no release file lists it.");
            else if (release != severity) problems.Add($"{id}: the release files say {release}; {source} says {severity}.");
        }

        foreach ((string name, string severity) in CodeSeverities()) Check(s_code[name], severity, $"the doc comment of DiagnosticIds.{name}");
        foreach (DiagnosticDescriptor descriptor in GeneratorDescriptors())
            Check(descriptor.Id, descriptor.DefaultSeverity.ToString(), $"the generator's descriptor '{descriptor.Title}'");
        foreach ((string id, string severity, string file) in TargetDiagnostics()) Check(id, severity, file);

        Assert.Empty(problems);
        // The targets report three IDs; finding none would mean the scan above looks in the wrong place.
        Assert.NotEmpty(TargetDiagnostics());
    }

    [Fact]
    public void Diagnostics_page_lists_every_id_once_with_its_severity()
    {
        Dictionary<string, string> severities = CodeSeverities().ToDictionary(pair => s_code[pair.Key], pair => pair.Value.ToLowerInvariant());
        List<(string Id, string Severity)> rows = DiagnosticsPageRow().Matches(RepositoryFiles.Read(DiagnosticsPage))
            .Select(match => (match.Groups["id"].Value, match.Groups["severity"].Value)).ToList();
        var problems = new List<string>();

        foreach ((string name, string id) in s_code)
        {
            int count = rows.Count(row => row.Id == id);
            if (count != 1) problems.Add($"{id} ({name}) has {count} rows in the diagnostics page's table; expected one.");
        }
        foreach ((string id, string severity) in rows)
        {
            if (!severities.TryGetValue(id, out string? expected)) problems.Add($"{DiagnosticsPage} lists {id}, which {IdsSource} does not define.");
            else if (severity != expected) problems.Add($"{DiagnosticsPage} says {id} is '{severity}'; the code says '{expected}'.");
        }

        Assert.Empty(problems);
    }

    [Fact]
    public void Each_id_the_generator_reports_has_one_descriptor()
    {
        // One condition per ID: a second condition gets its own ID, so a user can search for it and suppress it alone.
        Assert.Empty(GeneratorDescriptors().GroupBy(descriptor => descriptor.Id).Where(id => id.Count() > 1)
            .Select(id => $"{id.Key}: {string.Join("; ", id.Select(descriptor => descriptor.Title.ToString()))}"));
        Assert.NotEmpty(GeneratorDescriptors());
    }

    [Fact]
    public void Generator_release_files_hold_the_repository_rows_of_the_ids_it_reports()
    {
        List<Rule> generator = ReadRules(s_generatorReleaseFiles);
        List<Rule> repository = ReadRules(s_releaseFiles);

        // Word for word, so the two never drift; RS2000-RS2008 check the generator's files against its descriptors.
        Assert.Equal(
            repository.Where(rule => rule.Line.Contains("(generator)", StringComparison.Ordinal)).Select(rule => (rule.Section, rule.Line)),
            generator.Select(rule => (rule.Section, rule.Line)));
        Assert.Equal(GeneratorDescriptors().Select(descriptor => descriptor.Id).Order(), generator.Select(rule => rule.Id).Order());
        Assert.All(GeneratorDescriptors(), descriptor => Assert.Equal(generator.Single(rule => rule.Id == descriptor.Id).Category, descriptor.Category));
    }

    /// <summary>Name to <c>Error</c> or <c>Warning</c>, as each constant's doc comment begins.</summary>
    private static Dictionary<string, string> CodeSeverities() => IdDeclaration().Matches(RepositoryFiles.Read(IdsSource))
        .ToDictionary(match => match.Groups["name"].Value, match => match.Groups["severity"].Value);

    private static IEnumerable<DiagnosticDescriptor> GeneratorDescriptors() => typeof(RepVggGenerator).Assembly
        .GetType("RepVgg.Generators.DiagnosticDescriptors", throwOnError: true)!
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(field => (DiagnosticDescriptor)field.GetValue(null)!);

    /// <summary>The Error and Warning tasks with an RVG code in the repository's MSBuild targets.</summary>
    private static List<(string Id, string Severity, string File)> TargetDiagnostics() =>
        [.. RepositoryFiles.Find("", "*.targets").SelectMany(file => TargetTask().Matches(RepositoryFiles.Read(file))
            .Select(match => (match.Groups["id"].Value, match.Groups["task"].Value, $"the <{match.Groups["task"].Value}> task in {file}")))];

    /// <summary>The rows of release files; a row outside a known section fails the test, which would not know what it means.</summary>
    private static List<Rule> ReadRules(IEnumerable<string> files)
    {
        var rules = new List<Rule>();
        foreach (string file in files)
        {
            string[] lines = RepositoryFiles.Read(file).Split('\n');
            string? section = null;
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i].TrimEnd('\r');
                if (line.StartsWith("### ", StringComparison.Ordinal)) section = line[4..];
                if (!line.StartsWith("RVG", StringComparison.Ordinal)) continue;

                string where = $"{file}:{i + 1}";
                Assert.True(section is "New Rules" or "Removed Rules", $"{where}: a rule under '{section}'; expected New Rules or Removed Rules.");
                string[] cells = line.Split('|').Select(cell => cell.Trim()).ToArray();
                Assert.True(cells.Length == 4, $"{where}: expected 'ID | Category | Severity | Notes', found '{line}'.");
                Match name = NotesName().Match(cells[3]);
                Assert.True(name.Success, $"{where}: expected the notes to start with the ID's name in DiagnosticIds, found '{cells[3]}'.");
                Assert.True(cells[2] is "Error" or "Warning", $"{where}: expected severity Error or Warning, found '{cells[2]}'.");
                rules.Add(new Rule(cells[0], cells[1], cells[2], name.Value, line, section!, where));
            }
        }
        return rules;
    }

    // A summary may start on its own line (RVG0027's does): the severity is the first word after <summary> and any "///".
    [GeneratedRegex("""<summary>\s*(?:///\s*)?(?<severity>Error|Warning)\b[^<]*</summary>\s*public const string (?<name>\w+) = "RVG[0-9]{4}";""")]
    private static partial Regex IdDeclaration();

    [GeneratedRegex(@"^\| (?<id>RVG[0-9]{4}) \| (?<severity>[a-z]+) \|", RegexOptions.Multiline)]
    private static partial Regex DiagnosticsPageRow();

    [GeneratedRegex("""<(?<task>Error|Warning)\b[^>]*\bCode="(?<id>RVG[0-9]{4})"[^>]*>""")]
    private static partial Regex TargetTask();

    [GeneratedRegex(@"^[A-Za-z0-9]+")]
    private static partial Regex NotesName();
}
