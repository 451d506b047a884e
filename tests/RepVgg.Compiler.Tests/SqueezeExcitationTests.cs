using RepVgg.Compiler.Architecture;
using RepVgg.Cpu;
using RepVgg.Compiler.Diagnostics;
using RepVgg.Compiler.Synthetic;
using RepVgg.Compiler.Writing;
using RepVgg.Manifest;
using RepVgg.Testing;

namespace RepVgg.Compiler.Tests;

/// <summary>
/// Squeeze-and-excitation networks (issue #26: RepVGG-D2se before the ReLU, RepVGGplus-L2pse after it): the compiled
/// float32 network on the CPU against the unfused float64 reference, every algorithm and both blob layouts; the
/// official and RepVGGplus names read from files; the published shapes recognized.
/// </summary>
public class SqueezeExcitationTests
{
    private static readonly Dictionary<string, RepVggVariant> Architectures = new()
    {
        ["before-relu-16"] = new("se16", 16, [2, 2], [32, 48], 1, Classes: 7, Squeeze: (SqueezePlacement.BeforeRelu, 16)),
        ["after-relu-4"] = new("se4", 16, [2, 2], [32, 48], 1, Classes: 7, Squeeze: (SqueezePlacement.AfterRelu, 4)),
        ["before-relu-odd-widths"] = new("odd", 5, [2, 2], [7, 13], 1, Classes: 11, Squeeze: (SqueezePlacement.BeforeRelu, 2)),
        ["after-relu-grouped"] = new("grouped", 16, [2, 3], [32, 64], 2, Classes: 5, Squeeze: (SqueezePlacement.AfterRelu, 8)),
    };

    public static TheoryData<string, int, int, int> NetworksSizesAndBatches => new()
    {
        { "before-relu-16", 33, 33, 2 },
        { "before-relu-16", 40, 23, 1 },
        { "after-relu-4", 32, 32, 2 },
        { "after-relu-4", 17, 29, 1 },
        { "before-relu-odd-widths", 1, 1, 1 },
        { "before-relu-odd-widths", 21, 21, 3 },
        { "after-relu-grouped", 29, 31, 2 },
    };

    [Theory]
    [MemberData(nameof(NetworksSizesAndBatches))]
    public void Compiled_network_matches_the_unfused_float64_reference(string architecture, int height, int width, int batch)
    {
        TrainedNetwork network = SyntheticNetwork.Create(Architectures[architecture], seed: 11, new(2, 16, 16));
        float[] images = CompiledNetwork.RandomImages(batch, height, width, seed: 5);

        foreach (WeightsLayout layout in new[] { WeightsLayout.Compact, WeightsLayout.Prepacked })
        {
            CompiledModel model = WeightsStep.Pack(network, Source(network), [], height, width, layout: layout);
            float[] logits = CompiledNetwork.Infer(model, images, height, width);
            NumericAssert.Close(CompiledNetwork.Reference(model, images, height, width), logits, 1e-5, $"{architecture} at {batch} x {height} x {width}, {layout}");
        }
    }

    [Theory]
    [InlineData(ConvAlgorithm.Direct)]
    [InlineData(ConvAlgorithm.Winograd2x2)]
    [InlineData(ConvAlgorithm.Winograd4x4)]
    public void Every_algorithm_leaves_the_ReLU_to_a_squeeze_before_it(ConvAlgorithm algorithm)
    {
        // Each algorithm's output stores the conv's sums without ReLU for a unit before it; on the stride-2 layers only direct runs.
        foreach (string architecture in new[] { "before-relu-16", "after-relu-4" })
        {
            TrainedNetwork network = SyntheticNetwork.Create(Architectures[architecture], seed: 3, new(2, 16, 16));
            CompiledModel model = WeightsStep.Pack(network, Source(network), [], 26, 30,
                (block, _, _) => block.Stride == 1 ? algorithm : ConvAlgorithm.Direct);
            float[] images = CompiledNetwork.RandomImages(2, 26, 30, seed: 8);

            float[] logits = CompiledNetwork.Infer(model, images, 26, 30);

            NumericAssert.Close(CompiledNetwork.Reference(model, images, 26, 30), logits, 1e-5, $"{architecture}, {algorithm}");
        }
    }

    [Fact]
    public void Every_kernel_width_sums_its_output_for_the_units_and_matches_the_reference()
    {
        // The convs sum their own output for the units, per work item: single blocks below Vector512, pairs at it; batch 3,
        // so Winograd's tile groups cross images.
        foreach (string architecture in new[] { "before-relu-16", "after-relu-grouped" })
        {
            TrainedNetwork network = SyntheticNetwork.Create(Architectures[architecture], seed: 9, new(2, 16, 16));
            CompiledModel model = WeightsStep.Pack(network, Source(network), [], 21, 27);
            float[] images = CompiledNetwork.RandomImages(3, 21, 27, seed: 6);
            double[] reference = CompiledNetwork.Reference(model, images, 21, 27);
            NetworkLayout layout = NetworkLayouts.FromManifest(model.Manifest, 21, 27);
            foreach (VectorWidth width in Enum.GetValues<VectorWidth>())
            {
                using var engine = (CpuInferenceEngine)InferenceEngine.Create(Backend.Cpu, layout, model.ToModelWeights());
                engine.KernelWidth = width;
                var logits = new float[3 * network.Head.Classes];
                NetworkLayouts.Infer(engine, images, logits);
                NumericAssert.Close(reference, logits, 1e-5, $"{architecture}, {width} kernels");
            }
        }
    }

    [Fact]
    public void The_manifest_names_each_units_placement_width_and_tensors()
    {
        TrainedNetwork network = SyntheticNetwork.Create(Architectures["before-relu-16"], seed: 1, calibration: null);
        CompiledModel model = WeightsStep.Pack(network, Source(network), []);

        ManifestSqueeze stem = model.Manifest.Layers[0].Squeeze!;
        Assert.Equal(ManifestSqueezePlacements.BeforeRelu, stem.Placement);
        Assert.Equal(1, stem.InternalChannels); // 16 channels / 16
        Assert.Equal(3, model.Manifest.Layers[^1].Squeeze!.InternalChannels); // 48 / 16
        // The down weight as the checkpoint holds it, in float32, where the manifest says.
        Assert.Equal(Float32.Round(network.Blocks[0].Squeeze!.DownWeight), model.Blob.AsSpan((int)stem.DownWeightOffset, 16).ToArray());
        Assert.Equal(model.Manifest, ManifestJson.Parse(ManifestJson.Write(model.Manifest)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_RepVGGplus_file_reads_its_split_stage_and_post_ReLU_units_and_drops_the_auxiliary_classifiers_with_one_warning(bool deploy)
    {
        // RepVGGplus-L2pse's layout at small widths: stage 3 split in two halves of two blocks.
        var plus = new RepVggVariant("plus", 16, [1, 2, 4, 1], [16, 32, 32, 64], 1, Classes: 10, Squeeze: (SqueezePlacement.AfterRelu, 4));
        KeyLayout layout = KeyLayout.RepVggPlus(new Dictionary<int, int> { [3] = 2 });
        TrainedNetwork network = SyntheticNetwork.Create(plus, seed: 5, new(2, 32, 32), layout);
        using var folder = new TemporaryFolder();
        string path = folder.File("plus.pth");
        SyntheticCheckpoint.Write(path, network, deploy);

        CompiledModel model = WeightsStep.Compile(path, new CompileOptions { InputHeight = 32, InputWidth = 32, Strides = [2, 2, 2, 2, 2] });

        Assert.Equal(KeyLayout.RepVggPlusName, model.Manifest.Source.KeyLayout);
        Assert.Equal(["stage0", "stage1.blocks.0", "stage2.blocks.0", "stage2.blocks.1", "stage3_first.blocks.0", "stage3_first.blocks.1",
            "stage3_second.blocks.0", "stage3_second.blocks.1", "stage4.blocks.0"], model.Manifest.Layers.Select(l => l.Name));
        // The second half's first block has stride 1 and, keeping its shape, an identity branch.
        Assert.Equal(1, model.Manifest.Layers[6].Stride);
        Assert.Equal(deploy ? ["reparam"] : ["3x3", "1x1", "identity"], model.Manifest.Layers[6].Branches);
        Assert.All(model.Manifest.Layers, layer => Assert.Equal(ManifestSqueezePlacements.AfterRelu, layer.Squeeze!.Placement));
        if (deploy)
            Assert.Empty(model.Warnings);
        else
            Assert.Contains("3 auxiliary classifiers ('stage1_aux.*', 'stage2_aux.*', 'stage3_first_aux.*', 24 tensors)",
                Assert.Single(model.Warnings, w => w.Id == DiagnosticIds.AuxiliaryClassifiersDropped).Message);
        Assert.DoesNotContain(model.Warnings, w => w.Id == DiagnosticIds.UnusedTensor);

        float[] images = CompiledNetwork.RandomImages(2, 32, 32, seed: 4);
        NumericAssert.Close(CompiledNetwork.Reference(model, images, 32, 32), CompiledNetwork.Infer(model, images, 32, 32), 1e-5, "RepVGGplus layout");
    }

    [Theory]
    [InlineData("official", false)]
    [InlineData("timm", true)]
    public void A_safetensors_file_reads_its_units_under_the_official_and_timms_names(string names, bool deploy)
    {
        // D2se's units before the ReLU, at small widths: `stageN.M.se.down` or timm's `stages.N.M.attn.fc1`.
        var se = new RepVggVariant("se", 16, [1, 2, 2, 1], [16, 32, 32, 64], 1, Classes: 10, Squeeze: (SqueezePlacement.BeforeRelu, 8));
        KeyLayout layout = names == "timm" ? KeyLayout.Timm : KeyLayout.Official;
        TrainedNetwork network = SyntheticNetwork.Create(se, seed: 6, new(2, 32, 32), layout);
        using var folder = new TemporaryFolder();
        string path = folder.File("se.safetensors");
        SafetensorsWriter.Write(path, SyntheticCheckpoint.ToTensors(network, deploy));

        CompiledModel model = WeightsStep.Compile(path, new CompileOptions { InputHeight = 32, InputWidth = 32, Strides = [2, 2, 2, 2, 2] });

        Assert.Equal(layout.Name, model.Manifest.Source.KeyLayout);
        Assert.All(model.Manifest.Layers, layer => Assert.Equal((ManifestSqueezePlacements.BeforeRelu, layer.OutChannels / 8),
            (layer.Squeeze!.Placement, layer.Squeeze.InternalChannels)));
        Assert.Empty(model.Warnings);
        float[] images = CompiledNetwork.RandomImages(2, 32, 32, seed: 4);
        NumericAssert.Close(CompiledNetwork.Reference(model, images, 32, 32), CompiledNetwork.Infer(model, images, 32, 32), 1e-5, $"{names} safetensors");
    }

    [Fact]
    public void A_non_square_input_warns_that_the_official_pooling_window_is_not_the_whole_map()
    {
        TrainedNetwork network = SyntheticNetwork.Create(Architectures["before-relu-16"], seed: 2, calibration: null);
        using var folder = new TemporaryFolder();
        string path = folder.File("se.pth");
        SyntheticCheckpoint.Write(path, network, deploy: false);

        CompiledModel square = WeightsStep.Compile(path, new CompileOptions { InputHeight = 32, InputWidth = 32, Strides = [2, 2, 2] });
        CompiledModel wide = WeightsStep.Compile(path, new CompileOptions { InputHeight = 24, InputWidth = 40, Strides = [2, 2, 2] });

        Assert.DoesNotContain(square.Warnings, w => w.Id == DiagnosticIds.NonSquareSqueezePooling);
        CompilerDiagnostic warning = Assert.Single(wide.Warnings, w => w.Id == DiagnosticIds.NonSquareSqueezePooling);
        Assert.Contains("'stage0.se'", warning.Message);
        Assert.Contains("24 x 40", warning.Message);
    }

    [Fact]
    public void The_published_SE_shapes_are_recognized_by_name()
    {
        Assert.Same(RepVggVariant.D2se, RepVggVariant.Find("D2se"));
        Assert.Same(RepVggVariant.L2pse, RepVggVariant.Find("RepVGGplus-L2pse"));
        Assert.Same(RepVggVariant.L2pse, RepVggVariant.Find("L2pse"));
        // D2se's blocks, widths and units: 160 channels in stage 1, each unit a sixteenth of its block's width.
        BlockShape stage1 = RepVggVariant.D2se.Blocks().First(b => b.Stage == 1);
        Assert.Equal((160, new SqueezeShape(SqueezePlacement.BeforeRelu, 10)), (stage1.Out, stage1.Squeeze!.Value));
        Assert.Equal(new SqueezeShape(SqueezePlacement.AfterRelu, 640), RepVggVariant.L2pse.Blocks().Last().Squeeze);
    }

    private static ManifestSource Source(TrainedNetwork network) => new("synthetic.pth", "", network.Layout.Name, "training");
}
