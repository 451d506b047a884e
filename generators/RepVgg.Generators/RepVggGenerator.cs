using Microsoft.CodeAnalysis;

namespace RepVgg.Generators;

/// <summary>
/// Emits one typed network class per RepVgg model manifest. The weights step (MSBuild) writes the
/// manifest and adds it as an AdditionalFiles item with <c>RepVggClassName</c> metadata; this
/// generator turns it into the model definition: shapes, layer order, one engine call per layer.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class RepVggGenerator : IIncrementalGenerator
{
    /// <summary>Names of the pipeline steps, for tests that check what was cached.</summary>
    internal static class StepNames
    {
        public const string Requests = nameof(Requests);
        public const string Results = nameof(Results);
        public const string Networks = nameof(Networks);
        public const string Diagnostics = nameof(Diagnostics);
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Each AdditionalFiles item with its RepVgg metadata; items without RepVggClassName are not models.
        IncrementalValuesProvider<ModelRequest> requests = context.AdditionalTextsProvider
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select(static (input, cancellationToken) => ReadRequest(input.Left, input.Right, cancellationToken))
            .Where(static request => request is not null)
            .Select(static (request, _) => request!)
            .WithTrackingName(StepNames.Requests);

        // Metadata and manifest text to a validated network with every shape worked out, or diagnostics.
        IncrementalValuesProvider<ParseResult> results = requests
            .Select(static (request, _) => Parse(request))
            .WithTrackingName(StepNames.Results);

        // Source: one class per model that parsed; equal networks are cached, so the text is not rebuilt.
        IncrementalValuesProvider<NetworkSpec> networks = results
            .Where(static result => result.Network is not null)
            .Select(static (result, _) => result.Network!)
            .WithTrackingName(StepNames.Networks);
        context.RegisterSourceOutput(networks, static (output, network) => output.AddSource(network.HintName, Emit(network)));

        // Diagnostics: their own output, so a changed diagnostic never regenerates source.
        IncrementalValuesProvider<DiagnosticInfo> diagnostics = results
            .SelectMany(static (result, _) => result.Diagnostics)
            .WithTrackingName(StepNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (output, diagnostic) => output.ReportDiagnostic(diagnostic.ToDiagnostic()));
    }
}
