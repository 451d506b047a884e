extern alias compiler;

using compiler::RepVgg.Compiler.Architecture;
using compiler::RepVgg.Compiler.Synthetic;
using CompilerManifest = compiler::RepVgg.Manifest.ModelManifest;
using CompilerWeightsStep = compiler::RepVgg.Compiler.WeightsStep;

namespace RepVgg.Generators.Tests;

/// <summary>
/// The weights step writes exactly the manifests the generator tests read from <c>Manifests/</c>: from the
/// PyTorch fixture, and from synthetic checkpoints of published shapes (deterministic weights, random
/// BatchNorm statistics: the generator sees shapes only, and the SHA-256 lines stay stable). A change to the
/// weights step's output fails here; <c>REPVGG_ACCEPT_SNAPSHOTS=1</c> accepts it.
/// </summary>
public sealed class ManifestReproductionTests
{
    /// <summary>The checked-in manifests, <c>&lt;ClassName&gt;.verified.json</c>, that <see cref="TestModels"/> reads.</summary>
    public static string Folder { get; } = Path.Combine(PyTorchFixtures.RepositoryRoot, "tests", "RepVgg.Generators.Tests", "Manifests");

    [Fact]
    public void Weights_step_writes_the_checked_in_manifests()
    {
        var written = new Dictionary<string, string>
        {
            ["TinyNet"] = Json(CompilerWeightsStep.Compile(PyTorchFixtures.OfficialPth, new() { InputHeight = 32, InputWidth = 32 }).Manifest),
            ["RepVggA0"] = Synthetic(RepVggVariant.A0, KeyLayout.Official, deploy: false, "RepVGG-A0-train.pth", 224, 224),
            ["RepVggB1g4"] = Synthetic(RepVggVariant.B1g4, KeyLayout.Official, deploy: false, "RepVGG-B1g4-train.pth", 224, 224),
            // The one prepacked blob (WeightsLayout="Prepacked"), so the generator's code for each layout has a snapshot.
            ["DeployedA1"] = Synthetic(RepVggVariant.A1, KeyLayout.Timm, deploy: true, "repvgg_a1-deploy.safetensors", 160, 128, WeightsLayout.Prepacked),
            // A squeeze-and-excitation network in RepVGGplus's layout (its stage 3 in two halves), at small widths.
            ["SmallPlus"] = Synthetic(SmallPlus, KeyLayout.RepVggPlus(new Dictionary<int, int> { [3] = 2 }), deploy: false, "small-plus-train.pth", 64, 64),
        };

        Snapshot.Verify(Folder, written, accept: Environment.GetEnvironmentVariable(Snapshot.AcceptVariable) == "1", ".json");
    }

    /// <summary>RepVGGplus-L2pse's structure (post-ReLU squeeze-and-excitation, a quarter of the channels) at a tenth of its widths and depths.</summary>
    private static readonly RepVggVariant SmallPlus = new("small-plus", 16, [1, 2, 4, 1], [16, 32, 32, 64], 1, Classes: 10,
        Squeeze: (SqueezePlacement.AfterRelu, 4));

    /// <summary>Writes a synthetic <paramref name="variant"/> checkpoint and compiles it with the weights step for the item's input size.</summary>
    private static string Synthetic(RepVggVariant variant, KeyLayout layout, bool deploy, string fileName, int inputHeight, int inputWidth,
        WeightsLayout weightsLayout = WeightsLayout.Compact)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File(fileName);
        TrainedNetwork network = SyntheticNetwork.Create(variant, seed: 1, calibration: null, layout);
        SyntheticCheckpoint.Write(path, network, deploy);
        return Json(CompilerWeightsStep.Compile(path, new() { InputHeight = inputHeight, InputWidth = inputWidth, WeightsLayout = weightsLayout }).Manifest);
    }

    /// <summary>The manifest as the weights step writes it to disk.</summary>
    private static string Json(CompilerManifest manifest) => compiler::RepVgg.Manifest.ManifestJson.Write(manifest);
}
