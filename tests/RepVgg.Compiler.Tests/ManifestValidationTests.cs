using RepVgg.Manifest;

namespace RepVgg.Compiler.Tests;

/// <summary>
/// The manifest rules the generator (RVG0014) and the weights step (RVG0022) share, tested directly:
/// each broken manifest gives its own message, and every manifest checked in for the generator's tests passes.
/// </summary>
public sealed class ManifestValidationTests
{
    private static readonly string ManifestFolder = Path.Combine(PyTorchFixtures.RepositoryRoot, "tests", "RepVgg.Generators.Tests", "Manifests");

    // The tiny fixture's manifest: stem 3 -> 16, blocks [2, 2, 2, 1], widths 16/32/64/256, 10 classes.
    private static ModelManifest Tiny() => ManifestJson.Parse(File.ReadAllText(Path.Combine(ManifestFolder, "TinyNet.verified.json")));

    private static string[] ManifestFiles() => [.. Directory.GetFiles(ManifestFolder, "*.json").Select(path => Path.GetFileName(path)).Order()];

    public static TheoryData<string> CheckedInManifests() => [.. ManifestFiles()];

    [Theory]
    [MemberData(nameof(CheckedInManifests))]
    public void Every_checked_in_manifest_is_sound(string file)
    {
        ModelManifest manifest = ManifestJson.Parse(File.ReadAllText(Path.Combine(ManifestFolder, file)));

        Assert.Null(ManifestValidation.FindProblem(manifest));
    }

    [Fact]
    public void The_checked_in_manifests_are_all_there()
    {
        // An empty folder would make the theory above pass by running nothing.
        Assert.Equal(["DeployedA1.verified.json", "RepVggA0.verified.json", "RepVggB1g4.verified.json", "SmallPlus.verified.json", "TinyNet.verified.json"],
            ManifestFiles());
    }

    public static TheoryData<string, string> BrokenManifests() => new()
    {
        { "an unknown blob layout", "At $.blob.layout: expected \"compact-v1\" or \"cpu-v2\", found \"cpu-v1\"." },
        { "no input channels", "At $.inputChannels: expected a positive channel count, found 0." },
        { "no layers", "At $.layers: expected at least one layer, found none." },
        { "layers that do not chain", "At $.layers[3] (stage2.0): expected 16 input channels (the output of $.layers[2] (stage1.1)), found 32." },
        { "a block out of order", "At $.layers[2] (stage1.1): expected stage 1 block 1 or block 0 of a later stage, found stage 1 block 2." },
        { "a stage that starts at block 1", "At $.layers[3] (stage2.0): expected stage 1 block 2 or block 0 of a later stage, found stage 2 block 1." },
        { "zero output channels", "At $.layers[0] (stage0): expected a positive output channel count, found 0." },
        { "stride 3", "At $.layers[1] (stage1.0): expected stride 1 or 2, found 3." },
        { "stride 0", "At $.layers[1] (stage1.0): expected stride 1 or 2, found 0." },
        { "groups that do not divide the channels", "At $.layers[2] (stage1.1): expected groups dividing both 16 and 16, found 3." },
        { "zero groups", "At $.layers[2] (stage1.1): expected groups dividing both 16 and 16, found 0." },
        { "no branches", "At $.layers[4] (stage2.1): expected the branches fused into the layer, found none." },
        { "winograd at stride 2", "At $.layers[1] (stage1.0): expected algorithm \"direct\", or \"winograd-f2x2\" or \"winograd-f4x4\" at stride 1; found \"winograd-f2x2\" at stride 2." },
        { "an unknown algorithm", "At $.layers[2] (stage1.1): expected algorithm \"direct\", or \"winograd-f2x2\" or \"winograd-f4x4\" at stride 1; found \"fft\" at stride 1." },
        { "a weight offset past the blob", "At $.layers[7] (stage4.0): expected a weightOffset inside the 220080-float blob, found 220080." },
        { "a negative bias offset", "At $.layers[0] (stage0): expected a biasOffset inside the 220080-float blob, found -1." },
        { "a head that does not take the last layer's channels", "At $.head (linear): expected 256 features (the output of $.layers[7] (stage4.0)), found 64." },
        { "a head with no classes", "At $.head (linear): expected a positive class count, found 0." },
        { "a head bias past the blob", "At $.head (linear): expected a biasOffset inside the 220080-float blob, found 300000." },
        { "a squeeze with an unknown placement", "At $.layers[0] (stage0).squeeze: expected placement \"before-relu\" or \"after-relu\", found \"between\"." },
        { "a squeeze of no channels", "At $.layers[0] (stage0).squeeze: expected a positive internal channel count, found 0." },
        { "a squeeze whose up weight runs past the blob", "At $.layers[0] (stage0).squeeze: expected upWeightOffset to place its 32 floats inside the 220080-float blob, found 220070." },
    };

    [Theory]
    [MemberData(nameof(BrokenManifests))]
    public void A_broken_manifest_gives_its_problem(string broken, string message)
    {
        ModelManifest manifest = Break(Tiny(), broken);

        Assert.Equal(message, ManifestValidation.FindStructureProblem(manifest));
        Assert.Equal(message, ManifestValidation.FindProblem(manifest));
    }

    [Theory]
    [InlineData("source file", "At $.source.file: expected text without control characters or line breaks, found U+000A.")]
    [InlineData("layer name", "At $.layers[5].name: expected text without control characters or line breaks, found U+001B.")]
    [InlineData("branch", "At $.layers[2].branches[1]: expected text without control characters or line breaks, found U+2028.")]
    public void Text_the_generated_comments_cannot_hold_is_refused_by_the_generator_only(string where, string message)
    {
        ModelManifest tiny = Tiny();
        ModelManifest manifest = where switch
        {
            "source file" => tiny with { Source = tiny.Source with { File = "tiny\n.pth" } },
            "layer name" => WithLayer(tiny, 5, layer => layer with { Name = "stage3.0\u001b[2J" }),
            _ => WithLayer(tiny, 2, layer => layer with { Branches = new EquatableArray<string>(["3x3", "1x1\u2028", "identity"]) }),
        };

        Assert.Equal(message, ManifestValidation.FindProblem(manifest));
        // The weights step checks structure only: a file name is the user's, and the generator reports it.
        Assert.Null(ManifestValidation.FindStructureProblem(manifest));
    }

    [Fact]
    public void Layer_shapes_are_those_PyTorch_gives()
    {
        // From PyTorch 2.11: torch.nn.functional.conv2d with a 3x3 kernel, padding 1 and the tiny network's
        // strides (2, 2, 1, 2, 1, 2, 1, 2), on a 33 x 47 input.
        LayerShape[] expected =
        [
            new(33, 47, 17, 24), new(17, 24, 9, 12), new(9, 12, 9, 12), new(9, 12, 5, 6),
            new(5, 6, 5, 6), new(5, 6, 3, 3), new(3, 3, 3, 3), new(3, 3, 2, 2),
        ];

        Assert.Equal(expected, LayerShape.Of(Tiny(), 33, 47));
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1, 2, 1)]
    [InlineData(2, 2, 1)]
    [InlineData(224, 2, 112)]
    [InlineData(7, 2, 4)]
    [InlineData(7, 1, 7)]
    public void A_layer_shape_is_that_of_a_padded_3x3_convolution(int size, int stride, int output)
    {
        // floor((size + 2 - 3) / stride) + 1, written out by hand for each case.
        LayerShape shape = LayerShape.Of(size, size + 1, stride);

        Assert.Equal((size, size + 1, output), (shape.InHeight, shape.InWidth, shape.OutHeight));
    }

    private static ModelManifest Break(ModelManifest tiny, string broken) => broken switch
    {
        "an unknown blob layout" => tiny with { Blob = tiny.Blob with { Layout = "cpu-v1" } },
        "no input channels" => tiny with { InputChannels = 0 },
        "no layers" => tiny with { Layers = new EquatableArray<ManifestLayer>([]) },
        "layers that do not chain" => WithLayer(tiny, 3, layer => layer with { InChannels = 32 }),
        "a block out of order" => WithLayer(tiny, 2, layer => layer with { Block = 2 }),
        "a stage that starts at block 1" => WithLayer(tiny, 3, layer => layer with { Block = 1 }),
        "zero output channels" => WithLayer(tiny, 0, layer => layer with { OutChannels = 0 }),
        "stride 3" => WithLayer(tiny, 1, layer => layer with { Stride = 3 }),
        "stride 0" => WithLayer(tiny, 1, layer => layer with { Stride = 0 }),
        "groups that do not divide the channels" => WithLayer(tiny, 2, layer => layer with { Groups = 3 }),
        "zero groups" => WithLayer(tiny, 2, layer => layer with { Groups = 0 }),
        "no branches" => WithLayer(tiny, 4, layer => layer with { Branches = new EquatableArray<string>([]) }),
        "winograd at stride 2" => WithLayer(tiny, 1, layer => layer with { Algorithm = ManifestAlgorithms.Winograd2x2 }),
        "an unknown algorithm" => WithLayer(tiny, 2, layer => layer with { Algorithm = "fft" }),
        "a weight offset past the blob" => WithLayer(tiny, 7, layer => layer with { WeightOffset = tiny.Blob.Floats }),
        "a negative bias offset" => WithLayer(tiny, 0, layer => layer with { BiasOffset = -1 }),
        "a head that does not take the last layer's channels" => tiny with { Head = tiny.Head with { Features = 64 } },
        "a head with no classes" => tiny with { Head = tiny.Head with { Classes = 0 } },
        "a head bias past the blob" => tiny with { Head = tiny.Head with { BiasOffset = 300_000 } },
        // The stem's 16 channels squeezed to 2: a unit whose tensors lie at the blob's start, all but the one broken.
        "a squeeze with an unknown placement" => WithLayer(tiny, 0, layer => layer with { Squeeze = new("between", 2, 0, 16, 32, 48) }),
        "a squeeze of no channels" => WithLayer(tiny, 0, layer => layer with { Squeeze = new(ManifestSqueezePlacements.BeforeRelu, 0, 0, 16, 32, 48) }),
        "a squeeze whose up weight runs past the blob" => WithLayer(tiny, 0, layer => layer with { Squeeze = new(ManifestSqueezePlacements.AfterRelu, 2, 0, 16, 220_070, 48) }),
        _ => throw new ArgumentException(broken),
    };

    private static ModelManifest WithLayer(ModelManifest manifest, int index, Func<ManifestLayer, ManifestLayer> change) => manifest with
    {
        Layers = new EquatableArray<ManifestLayer>(manifest.Layers.Select((layer, i) => i == index ? change(layer) : layer)),
    };
}
