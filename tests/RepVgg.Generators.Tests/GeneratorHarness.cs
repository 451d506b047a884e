using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace RepVgg.Generators.Tests;

/// <summary>Runs <see cref="RepVggGenerator"/> the way the compiler does, over in-memory manifests.</summary>
internal static class GeneratorHarness
{
    /// <summary>The language the generated code targets; documentation is checked, so a missing XML doc is a warning.</summary>
    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    /// <summary>A source file that has nothing to do with the models.</summary>
    public const string UnrelatedSource = "namespace Sample.App;\n\ninternal static class Unrelated\n{\n    internal const int Answer = 42;\n}\n";

    // The shared framework (the directory of System.Private.CoreLib) and the runtime the generated code calls.
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        string frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => Path.GetDirectoryName(path) == frameworkDirectory)
            .Append(typeof(InferenceEngine).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    });

    /// <summary>A library compilation of <paramref name="sources"/>, all warnings on, nullable enabled.</summary>
    public static CSharpCompilation CreateCompilation(params string[] sources) => CSharpCompilation.Create(
        "Sample.App",
        sources.Select(source => CSharpSyntaxTree.ParseText(source, ParseOptions)),
        s_references.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999));

    /// <summary>A driver over <paramref name="models"/>; <paramref name="rootNamespace"/> is the project's RootNamespace ("" for none).</summary>
    public static GeneratorDriver CreateDriver(IEnumerable<ModelItem> models, string rootNamespace = "", bool trackSteps = false)
    {
        ModelItem[] items = models.ToArray();
        return CSharpGeneratorDriver.Create(
            [new RepVggGenerator().AsSourceGenerator()],
            items.Select(item => (AdditionalText)new InMemoryAdditionalText(item.Path, item.ManifestText)),
            ParseOptions,
            Options(items, rootNamespace),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));
    }

    /// <summary>The analyzer-config options MSBuild would pass for <paramref name="models"/>.</summary>
    public static TestAnalyzerConfigOptionsProvider Options(IEnumerable<ModelItem> models, string rootNamespace = "") => new(
        rootNamespace.Length == 0
            ? ImmutableDictionary<string, string>.Empty
            : ImmutableDictionary<string, string>.Empty.Add("build_property.RootNamespace", rootNamespace),
        models.ToImmutableDictionary(item => item.Path, item => item.Metadata));

    /// <summary>Runs the generator once over <paramref name="models"/> beside <see cref="UnrelatedSource"/>.</summary>
    public static GeneratorDriverRunResult Run(IEnumerable<ModelItem> models, string rootNamespace = "") =>
        CreateDriver(models, rootNamespace).RunGenerators(CreateCompilation(UnrelatedSource)).GetRunResult();

    /// <summary>Runs the generator once over one model.</summary>
    public static GeneratorDriverRunResult Run(ModelItem model, string rootNamespace = "") => Run([model], rootNamespace);
}
