using System.Reflection;
using System.Text.RegularExpressions;
using RepVgg.Manifest;

namespace RepVgg.Generators.Tests;

/// <summary>
/// Every diagnostic ID has a test that provokes it and asserts it, so a new ID without one fails here.
/// </summary>
/// <remarks>
/// A text scan, kept simple on purpose: some statement of a test source under <c>tests/</c> must both name
/// the ID (<c>DiagnosticIds.Name</c>, or <c>RVG00NN</c> as a word, as build-output tests quote it) and call
/// an assertion (<c>Assert.*</c>, or a helper named <c>Assert*</c> or <c>*Fails</c> that asserts the ID it is
/// given). A statement is the text between two semicolons, comment lines left out.
/// </remarks>
public sealed partial class DiagnosticCoverageTests
{
    [Fact]
    public void Every_id_has_a_test_that_asserts_it()
    {
        List<(string File, string Statement)> assertions = [.. RepositoryFiles.Find("tests", "*.cs")
            .SelectMany(file => Statements(RepositoryFiles.Read(file)).Where(statement => AssertionCall().IsMatch(statement))
                .Select(statement => (file, statement)))];
        var missing = new List<string>();

        foreach (FieldInfo field in typeof(DiagnosticIds).GetFields(BindingFlags.Public | BindingFlags.Static).Where(field => field.IsLiteral))
        {
            string id = (string)field.GetRawConstantValue()!;
            var reference = new Regex($@"\bDiagnosticIds\.{field.Name}\b|\b{id}\b");
            if (!assertions.Any(assertion => reference.IsMatch(assertion.Statement)))
                missing.Add($"{id} ({field.Name}): no test under tests/ asserts DiagnosticIds.{field.Name} or {id}; add one that provokes it.");
        }

        Assert.Empty(missing);
        // The scan must see the tests at all: the weights step's own diagnostic tests assert many IDs.
        Assert.Contains(assertions, assertion => assertion.File.EndsWith("RepVgg.Compiler.Tests/DiagnosticTests.cs", StringComparison.Ordinal));
    }

    private static IEnumerable<string> Statements(string source)
    {
        IEnumerable<string> code = source.Split('\n').Where(line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal));
        return string.Join("\n", code).Split(';');
    }

    [GeneratedRegex(@"\bAssert\w*\s*[.(]|\w+Fails\s*\(")]
    private static partial Regex AssertionCall();
}
