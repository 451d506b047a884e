using Microsoft.CodeAnalysis.CSharp;
using RepVgg.Manifest;

namespace RepVgg.Generators.Tests;

/// <summary>
/// The build's own C# identifier rule (ModelItemRules, which the MSBuild task runs without Roslyn) against Roslyn's,
/// character by character over all of UTF-16 and over every keyword Roslyn knows.
/// </summary>
public sealed class ModelItemRulesTests
{
    [Fact]
    public void Every_character_starts_and_continues_a_name_exactly_when_Roslyn_says_so()
    {
        var disagreements = new List<string>();
        for (int code = 0; code <= char.MaxValue; code++)
        {
            char c = (char)code;
            foreach (string name in new[] { c.ToString(), "a" + c })
            {
                bool roslyn = SyntaxFacts.IsValidIdentifier(name) && SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None;
                bool ours = ModelItemRules.NamespaceProblem(name) is null;
                if (roslyn != ours && disagreements.Count < 20) disagreements.Add($"U+{code:X4} in '{name}': Roslyn {roslyn}, ours {ours}");
            }
        }
        Assert.Empty(disagreements);
    }

    [Fact]
    public void Every_reserved_keyword_is_refused_and_every_contextual_one_accepted()
    {
        foreach (SyntaxKind kind in SyntaxFacts.GetReservedKeywordKinds())
            Assert.Equal("it is a C# keyword", ModelItemRules.ClassNameProblem(SyntaxFacts.GetText(kind)));
        foreach (SyntaxKind kind in SyntaxFacts.GetContextualKeywordKinds())
            Assert.Null(ModelItemRules.ClassNameProblem(SyntaxFacts.GetText(kind)));
    }
}
