extern alias compiler;

using System.Collections.Immutable;
using compiler::RepVgg.Compiler.Architecture;
using compiler::RepVgg.Compiler.Synthetic;
using CompilerManifest = compiler::RepVgg.Compiler.Manifest.ModelManifest;
using CompilerWeightsStep = compiler::RepVgg.Compiler.WeightsStep;

namespace RepVgg.Generators.Tests;

/// <summary>
/// The generator's inputs, in one place: four models' manifests, each written by the real weights
/// step from a checkpoint file, and their item metadata. The PyTorch fixture is read as it is; the
/// others are synthetic checkpoints of published shapes, written to a temporary folder first
/// (deterministic weights, so their SHA-256 lines in the snapshots are stable).
/// </summary>
internal static class TestModels
{
    /// <summary>The project's RootNamespace where a test needs one (the namespace fallback).</summary>
    public const string RootNamespace = "Sample.App";

    /// <summary>The PyTorch tiny fixture network: official layout, 3 x 32 x 32 input, 10 classes.</summary>
    public static ModelItem TinyFixture { get; } = Item(
        "TinyNet", "Fixtures.Models", inputHeight: "32", inputWidth: "32",
        Json(CompilerWeightsStep.Compile(PyTorchFixtures.OfficialPth, new() { InputHeight = 32, InputWidth = 32 }).Manifest));

    /// <summary>RepVGG-A0 in the official layout, default input size, namespace from RootNamespace.</summary>
    public static ModelItem RepVggA0 { get; } = Item(
        "RepVggA0", "", inputHeight: "", inputWidth: "",
        Synthetic(RepVggVariant.A0, KeyLayout.Official, deploy: false, "RepVGG-A0-train.pth", 224, 224));

    /// <summary>RepVGG-B1g4: groups 4 on layers 2, 4, ..., 26 (the odd blocks of stages 1-3, counting stage1.0 as layer 1).</summary>
    public static ModelItem RepVggB1g4 { get; } = Item(
        "RepVggB1g4", "Sample.Vision", inputHeight: "224", inputWidth: "224",
        Synthetic(RepVggVariant.B1g4, KeyLayout.Official, deploy: false, "RepVGG-B1g4-train.pth", 224, 224));

    /// <summary>
    /// An already-deployed RepVGG-A1 (timm names, <c>reparam</c> blocks): global namespace (no RootNamespace),
    /// non-square input.
    /// </summary>
    public static ModelItem DeployA1 { get; } = Item(
        "DeployedA1", "", inputHeight: "160", inputWidth: "128",
        Synthetic(RepVggVariant.A1, KeyLayout.Timm, deploy: true, "repvgg_a1-deploy.safetensors", 160, 128));

    /// <summary>Every model above.</summary>
    public static IEnumerable<object[]> All =>
    [
        [nameof(TinyFixture)], [nameof(RepVggA0)], [nameof(RepVggB1g4)], [nameof(DeployA1)],
    ];

    /// <summary>The model <paramref name="name"/> (a property name above), for theories.</summary>
    public static ModelItem Named(string name) => name switch
    {
        nameof(TinyFixture) => TinyFixture,
        nameof(RepVggA0) => RepVggA0,
        nameof(RepVggB1g4) => RepVggB1g4,
        nameof(DeployA1) => DeployA1,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such test model."),
    };

    /// <summary>Analyzer-config key of the item metadata <paramref name="name"/> (<c>RepVggClassName</c>, ...).</summary>
    public static string MetadataKey(string name) => "build_metadata.AdditionalFiles." + name;

    /// <summary>An item as Directory.Build.targets writes it: the resource name always follows its convention.</summary>
    private static ModelItem Item(string className, string ns, string inputHeight, string inputWidth, string manifestText)
    {
        var metadata = new Dictionary<string, string>
        {
            [MetadataKey("RepVggClassName")] = className,
            [MetadataKey("RepVggNamespace")] = ns,
            [MetadataKey("RepVggInputHeight")] = inputHeight,
            [MetadataKey("RepVggInputWidth")] = inputWidth,
            [MetadataKey("RepVggResourceName")] = $"RepVgg.{className}.weights.bin",
        };
        return new ModelItem(
            $"/repo/sample/obj/repvgg/{className}.manifest.json",
            manifestText,
            metadata.Where(entry => entry.Value.Length > 0).ToImmutableDictionary());
    }

    /// <summary>
    /// Writes a synthetic <paramref name="variant"/> checkpoint (random BatchNorm statistics: the
    /// generator sees shapes only) and compiles it with the weights step, for the item's input size.
    /// </summary>
    private static string Synthetic(RepVggVariant variant, KeyLayout layout, bool deploy, string fileName, int inputHeight, int inputWidth)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File(fileName);
        TrainedNetwork network = SyntheticNetwork.Create(variant, seed: 1, calibration: null, layout);
        SyntheticCheckpoint.Write(path, network, deploy);
        return Json(CompilerWeightsStep.Compile(path, new() { InputHeight = inputHeight, InputWidth = inputWidth }).Manifest);
    }

    /// <summary>The manifest as the weights step writes it to disk.</summary>
    private static string Json(CompilerManifest manifest) => compiler::RepVgg.Compiler.Manifest.ManifestJson.Write(manifest);
}
