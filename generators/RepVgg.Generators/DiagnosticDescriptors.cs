using Microsoft.CodeAnalysis;
using RepVgg.Manifest;

namespace RepVgg.Generators;

/// <summary>
/// The diagnostics the generator reports. IDs come from <see cref="DiagnosticIds"/>, shared with
/// the weights step; one descriptor per ID, every one listed in AnalyzerReleases.Unshipped.md.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "RepVgg";

    /// <summary>{0}: the model's class name; {1}: <c>InputHeight</c> or <c>InputWidth</c>; {2}: the value found.</summary>
    public static readonly DiagnosticDescriptor InvalidInputSize = new(
        DiagnosticIds.InvalidInputSize,
        title: "RepVgg model input size is not a positive integer",
        messageFormat: "RepVgg model '{0}': {1} must be a positive integer; found '{2}'",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>
    /// {0}: the model's class name; {1}, {2}, {3}: <c>InputChannels</c>, <c>InputHeight</c>, <c>InputWidth</c>; {4}: the
    /// largest int.
    /// </summary>
    public static readonly DiagnosticDescriptor InputTooLarge = new(
        DiagnosticIds.InputTooLarge,
        title: "RepVgg model input image is too large",
        messageFormat: "RepVgg model '{0}': an input image of {1} x {2} x {3} floats (InputChannels x InputHeight x InputWidth) does not fit in an int (at most {4} floats); use a smaller InputHeight or InputWidth",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>{0}: the manifest's path; {1}: what is wrong, where, expected versus found.</summary>
    public static readonly DiagnosticDescriptor ManifestUnreadable = new(
        DiagnosticIds.ManifestUnreadable,
        title: "RepVgg model manifest cannot be read",
        messageFormat: "Cannot read RepVgg model manifest '{0}': {1}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>{0}: the manifest's path.</summary>
    public static readonly DiagnosticDescriptor MissingResourceName = new(
        DiagnosticIds.MissingResourceName,
        title: "RepVgg model item lacks RepVggResourceName metadata",
        messageFormat: "RepVgg model manifest '{0}': the item lacks RepVggResourceName metadata (the logical name of the embedded weights); RepVggModel items get it from the RepVgg targets (build/RepVgg.Model.targets)",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>{0}: <c>ClassName</c> or <c>Namespace</c>; {1}: the value found; {2}: what a valid one looks like.</summary>
    public static readonly DiagnosticDescriptor InvalidName = new(
        DiagnosticIds.InvalidName,
        title: "RepVgg model ClassName or Namespace is not a usable C# name",
        messageFormat: "RepVgg model {0} '{1}' cannot be used: {2}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);
}
