using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;
using RepVgg.Compiler.Synthetic;

namespace RepVgg.Compiler.Tests;

/// <summary>
/// RVG0028: a custom network compiled on RepVGG's strides or input size is warned about, naming what was assumed and
/// the metadata that sets it; a published variant on the same defaults, or a custom network with everything given, is not.
/// </summary>
public sealed class AssumedDefaultsTests : IDisposable
{
    // Two stages (the stem and one stage of two blocks): RepVGG's strides for it are 2,2.
    private static readonly RepVggVariant Custom = new("custom", 8, [2], [16], 1, Classes: 4);

    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Checkpoint(RepVggVariant variant)
    {
        string path = _folder.File($"{variant.Name}.pth");
        SyntheticCheckpoint.Write(path, SyntheticNetwork.Create(variant, seed: 3, calibration: null), deploy: true);
        return path;
    }

    private static CompilerDiagnostic[] Assumed(CompiledModel model) =>
        [.. model.Warnings.Where(warning => warning.Id == DiagnosticIds.AssumedDefaults)];

    [Fact]
    public void A_custom_network_on_default_strides_and_input_size_names_both_and_their_metadata()
    {
        string path = Checkpoint(Custom);

        CompiledModel model = WeightsStep.Compile(path, new CompileOptions());

        CompilerDiagnostic warning = Assert.Single(Assumed(model));
        Assert.Equal((DiagnosticSeverity.Warning, path), (warning.Severity, warning.File));
        Assert.Contains("compiled assuming strides 2,2 (RepVGG's, stem first) and input 224 x 224 (RepVGG's)", warning.Message);
        Assert.Contains("set Strides=\"...\", InputHeight and InputWidth on its RepVggModel item (--strides, --input-height and --input-width on the command line)", warning.Message);
        Assert.Equal("custom", model.Manifest.Variant);
    }

    [Fact]
    public void A_custom_network_with_strides_but_no_input_width_names_only_the_width()
    {
        CompiledModel model = WeightsStep.Compile(Checkpoint(Custom), new CompileOptions { Strides = [1, 2], InputHeight = 28 });

        CompilerDiagnostic warning = Assert.Single(Assumed(model));
        Assert.Contains("compiled assuming input width 224 (RepVGG's):", warning.Message);
        Assert.DoesNotContain("strides 2", warning.Message);
        Assert.Contains("set InputWidth on its RepVggModel item (--input-width on the command line)", warning.Message);
    }

    [Fact]
    public void A_custom_network_with_strides_and_input_size_given_has_no_warning()
    {
        CompiledModel model = WeightsStep.Compile(Checkpoint(Custom), new CompileOptions { Strides = [2, 2], InputHeight = 224, InputWidth = 224 });

        Assert.Empty(Assumed(model));
    }

    [Fact]
    public void A_published_variant_on_the_defaults_has_no_warning()
    {
        CompiledModel model = WeightsStep.Compile(Checkpoint(RepVggVariant.A0), new CompileOptions());

        Assert.Equal("RepVGG-A0", model.Manifest.Variant);
        Assert.Empty(Assumed(model));
    }
}
