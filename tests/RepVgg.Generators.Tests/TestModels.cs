using System.Collections.Immutable;

namespace RepVgg.Generators.Tests;

/// <summary>
/// The generator's inputs, in one place: five models' manifests, checked in under <c>Manifests/</c> (so the
/// generator tests are fast and fail only when the emitter changes), and their item metadata.
/// <see cref="ManifestReproductionTests"/> shows the weights step writes exactly these manifests from the
/// PyTorch fixture and from synthetic checkpoints of published shapes.
/// </summary>
internal static class TestModels
{
    /// <summary>The project's RootNamespace where a test needs one (the namespace fallback).</summary>
    public const string RootNamespace = "Sample.App";

    /// <summary>The PyTorch tiny fixture network: official layout, 3 x 32 x 32 input, 10 classes.</summary>
    public static ModelItem TinyFixture { get; } = Item(
        "TinyNet", "Fixtures.Models", inputHeight: "32", inputWidth: "32");

    /// <summary>RepVGG-A0 in the official layout, default input size, namespace from RootNamespace.</summary>
    public static ModelItem RepVggA0 { get; } = Item(
        "RepVggA0", "", inputHeight: "", inputWidth: "");

    /// <summary>RepVGG-B1g4: groups 4 on layers 2, 4, ..., 26 (the odd blocks of stages 1-3, counting stage1.0 as layer 1).</summary>
    public static ModelItem RepVggB1g4 { get; } = Item(
        "RepVggB1g4", "Sample.Vision", inputHeight: "224", inputWidth: "224");

    /// <summary>
    /// An already-deployed RepVGG-A1 (timm names, <c>reparam</c> blocks): global namespace (no RootNamespace),
    /// non-square input, its weights prepacked and beside the assembly (<c>Embed="false"</c>).
    /// </summary>
    public static ModelItem DeployA1 { get; } = Item(
        "DeployedA1", "", inputHeight: "160", inputWidth: "128").WithMetadata(MetadataKey("RepVggEmbed"), "false");

    /// <summary>
    /// A small network with squeeze-and-excitation after every block's ReLU, in RepVGGplus's layout (stage 3 split into
    /// <c>stage3_first</c> and <c>stage3_second</c>).
    /// </summary>
    public static ModelItem SmallPlus { get; } = Item(
        "SmallPlus", "Sample.Vision", inputHeight: "64", inputWidth: "64");

    /// <summary>Every model above.</summary>
    public static IEnumerable<object[]> All =>
    [
        [nameof(TinyFixture)], [nameof(RepVggA0)], [nameof(RepVggB1g4)], [nameof(DeployA1)], [nameof(SmallPlus)],
    ];

    /// <summary>The model <paramref name="name"/> (a property name above), for theories.</summary>
    public static ModelItem Named(string name) => name switch
    {
        nameof(TinyFixture) => TinyFixture,
        nameof(RepVggA0) => RepVggA0,
        nameof(RepVggB1g4) => RepVggB1g4,
        nameof(DeployA1) => DeployA1,
        nameof(SmallPlus) => SmallPlus,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such test model."),
    };

    /// <summary>Analyzer-config key of the item metadata <paramref name="name"/> (<c>RepVggClassName</c>, ...).</summary>
    public static string MetadataKey(string name) => "build_metadata.AdditionalFiles." + name;

    /// <summary>
    /// An item as Directory.Build.targets writes it, but for the resource name, which is the targets' form for the global
    /// namespace (they qualify it by the class's namespace): the generator uses whatever name it is given.
    /// </summary>
    private static ModelItem Item(string className, string ns, string inputHeight, string inputWidth)
    {
        string manifestText = File.ReadAllText(Path.Combine(ManifestReproductionTests.Folder, className + ".verified.json")).ReplaceLineEndings("\n");
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

}
