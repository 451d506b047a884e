using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using RepVgg.Manifest;
using static System.FormattableString;

namespace RepVgg.Generators;

// Inputs to a model: an AdditionalFiles item and its metadata become a validated NetworkSpec, or diagnostics.
public sealed partial class RepVggGenerator
{
    /// <summary>The analyzer-config keys the build passes; each needs a CompilerVisibleItemMetadata (or CompilerVisibleProperty) item.</summary>
    internal static class OptionKeys
    {
        public const string ClassName = "build_metadata.AdditionalFiles.RepVggClassName";
        public const string Namespace = "build_metadata.AdditionalFiles.RepVggNamespace";
        public const string InputHeight = "build_metadata.AdditionalFiles.RepVggInputHeight";
        public const string InputWidth = "build_metadata.AdditionalFiles.RepVggInputWidth";
        public const string ResourceName = "build_metadata.AdditionalFiles.RepVggResourceName";
        public const string Embed = "build_metadata.AdditionalFiles.RepVggEmbed";
        public const string RootNamespace = "build_property.RootNamespace";
    }

    /// <summary>Input height and width when the item does not give them: the ImageNet size RepVGG is trained at.</summary>
    private const int DefaultInputSize = 224;

    /// <summary>The model an AdditionalFiles item declares, or <see langword="null"/> when it has no <c>RepVggClassName</c>.</summary>
    internal static ModelRequest? ReadRequest(AdditionalText file, AnalyzerConfigOptionsProvider options, CancellationToken cancellationToken)
    {
        AnalyzerConfigOptions metadata = options.GetOptions(file);
        string className = Option(metadata, OptionKeys.ClassName);
        if (className.Length == 0) return null;

        string ns = Option(metadata, OptionKeys.Namespace);
        return new ModelRequest(
            file.Path,
            file.GetText(cancellationToken)?.ToString(),
            className,
            ns.Length > 0 ? ns : Option(options.GlobalOptions, OptionKeys.RootNamespace),
            Option(metadata, OptionKeys.InputHeight),
            Option(metadata, OptionKeys.InputWidth),
            Option(metadata, OptionKeys.ResourceName),
            Option(metadata, OptionKeys.Embed));
    }

    /// <summary>Validates the metadata and the manifest, and works out every layer's shape.</summary>
    internal static ParseResult Parse(ModelRequest request)
    {
        var diagnostics = new List<DiagnosticInfo>();
        int inputHeight = ReadInputSize(request, "InputHeight", request.InputHeight, diagnostics);
        int inputWidth = ReadInputSize(request, "InputWidth", request.InputWidth, diagnostics);
        CheckClassName(request, diagnostics);
        CheckNamespace(request, diagnostics);
        CheckResourceName(request, diagnostics);
        ModelManifest? manifest = ReadManifest(request, diagnostics);
        if (manifest is not null) CheckImageLength(request, manifest.InputChannels, inputHeight, inputWidth, diagnostics);

        return manifest is null || diagnostics.Count > 0
            ? new ParseResult(null, new EquatableArray<DiagnosticInfo>(diagnostics))
            : new ParseResult(BuildNetwork(request, manifest, inputHeight, inputWidth), default);
    }

    // Analyzer config values arrive trimmed (the editorconfig the build writes cannot keep outer spaces), so a
    // size written " 64 " is refused by the build's own check of the item, before this sees it.
    private static string Option(AnalyzerConfigOptions options, string key) =>
        options.TryGetValue(key, out string? value) ? value.Trim() : "";

    private static int ReadInputSize(ModelRequest request, string name, string value, List<DiagnosticInfo> diagnostics)
    {
        if (value.Length == 0) return DefaultInputSize;
        if (ModelItemRules.TryParseInputSize(value, out int size)) return size;
        diagnostics.Add(Report(DiagnosticDescriptors.InvalidInputSize, request, request.ClassName, name, value));
        return 0;
    }

    private static void CheckClassName(ModelRequest request, List<DiagnosticInfo> diagnostics)
    {
        if (ModelItemRules.ClassNameProblem(request.ClassName) is { } problem)
            diagnostics.Add(Report(DiagnosticDescriptors.InvalidName, request, "ClassName", request.ClassName, problem));
    }

    private static void CheckNamespace(ModelRequest request, List<DiagnosticInfo> diagnostics)
    {
        if (ModelItemRules.NamespaceProblem(request.Namespace) is { } problem)
            diagnostics.Add(Report(DiagnosticDescriptors.InvalidName, request, "Namespace", request.Namespace, problem));
    }

    // Only the build knows the logical name it embedded the weights under; a guessed name would fail at run time.
    private static void CheckResourceName(ModelRequest request, List<DiagnosticInfo> diagnostics)
    {
        if (request.ResourceName.Length > 0) return;
        diagnostics.Add(Report(DiagnosticDescriptors.MissingResourceName, request, request.FilePath));
    }

    // The generated class and the engine size an image, and a batch of them, in ints.
    private static void CheckImageLength(ModelRequest request, int channels, int height, int width, List<DiagnosticInfo> diagnostics)
    {
        // channels x height x width fits in an int exactly when channels x height <= int.MaxValue / width (integer
        // division), and channels x height cannot overflow a long. An invalid size, reported already, reads as 0.
        if (width == 0 || (long)channels * height <= int.MaxValue / width) return;
        diagnostics.Add(Report(
            DiagnosticDescriptors.InputTooLarge, request, request.ClassName,
            Number(channels), Number(height), Number(width), Number(int.MaxValue)));
    }

    private static ModelManifest? ReadManifest(ModelRequest request, List<DiagnosticInfo> diagnostics)
    {
        if (request.ManifestText is null)
        {
            diagnostics.Add(Report(DiagnosticDescriptors.ManifestUnreadable, request, request.FilePath, "the file could not be read."));
            return null;
        }

        ModelManifest manifest;
        try
        {
            manifest = ManifestJson.Parse(request.ManifestText);
        }
        catch (FormatException exception)
        {
            diagnostics.Add(Report(DiagnosticDescriptors.ManifestUnreadable, request, request.FilePath, exception.Message));
            return null;
        }

        string? problem = ManifestValidation.FindProblem(manifest);
        if (problem is null) return manifest;
        diagnostics.Add(Report(DiagnosticDescriptors.ManifestUnreadable, request, request.FilePath, problem));
        return null;
    }

    private static NetworkSpec BuildNetwork(ModelRequest request, ModelManifest manifest, int inputHeight, int inputWidth)
    {
        IReadOnlyList<LayerShape> shapes = LayerShape.Of(manifest, inputHeight, inputWidth);
        var layers = manifest.Layers.Select((layer, i) => new LayerSpec(LayerFieldName(layer), layer, shapes[i]));

        return new NetworkSpec(
            request.Namespace, request.ClassName, request.ResourceName, manifest.Source, manifest.Variant,
            manifest.InputChannels, inputHeight, inputWidth, manifest.Blob, new EquatableArray<LayerSpec>(layers), manifest.Head,
            Embedded: !string.Equals(request.Embed, "false", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary><c>Stage0</c> for the stem, <c>Stage{s}Block{b}</c> for the rest.</summary>
    private static string LayerFieldName(ManifestLayer layer) =>
        layer.Stage == 0 && layer.Block == 0 ? "Stage0" : Invariant($"Stage{layer.Stage}Block{layer.Block}");

    private static DiagnosticInfo Report(DiagnosticDescriptor descriptor, ModelRequest request, params string[] messageArgs) =>
        new(descriptor, request.FilePath, new EquatableArray<string>(messageArgs));
}
