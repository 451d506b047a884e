using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace RepVgg.Generators.Tests;

/// <summary>An AdditionalFiles item whose text lives in memory.</summary>
internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text, Encoding.UTF8);

    public override string Path => path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}
