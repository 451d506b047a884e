using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace RepVgg.Generators.Tests;

/// <summary>What MSBuild's generated .editorconfig would give: project properties, and metadata per AdditionalFiles item.</summary>
internal sealed class TestAnalyzerConfigOptionsProvider(
    ImmutableDictionary<string, string> globalOptions, ImmutableDictionary<string, ImmutableDictionary<string, string>> optionsByPath)
    : AnalyzerConfigOptionsProvider
{
    public override AnalyzerConfigOptions GlobalOptions { get; } = new DictionaryOptions(globalOptions);

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new DictionaryOptions(ImmutableDictionary<string, string>.Empty);

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) =>
        new DictionaryOptions(optionsByPath.GetValueOrDefault(textFile.Path, ImmutableDictionary<string, string>.Empty));

    private sealed class DictionaryOptions(ImmutableDictionary<string, string> options) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => options.TryGetValue(key, out value);
    }
}
