using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using RepVgg.Manifest;

namespace RepVgg.Generators;

/// <summary>A diagnostic as plain, comparable data: the pipeline caches it and reports it from its own output.</summary>
/// <param name="Descriptor">Which diagnostic.</param>
/// <param name="FilePath">The manifest it is about.</param>
/// <param name="MessageArgs">The arguments of the descriptor's message format.</param>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, string FilePath, EquatableArray<string> MessageArgs)
{
    /// <summary>The Roslyn diagnostic, located at the start of the manifest file.</summary>
    public Diagnostic ToDiagnostic() => Diagnostic.Create(
        Descriptor,
        Location.Create(FilePath, default(TextSpan), default(LinePositionSpan)),
        MessageArgs.Cast<object>().ToArray());
}
