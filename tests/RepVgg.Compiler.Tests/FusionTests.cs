using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Fusion;
using RepVgg.Compiler.Reference;
using RepVgg.Compiler.Synthetic;

namespace RepVgg.Compiler.Tests;

/// <summary>The fused network against the unfused three-branch network evaluated in float64.</summary>
public class FusionTests
{
    /// <summary>Small custom networks: groups whose width is below, at and above the kernel's 16 lanes; odd widths.</summary>
    private static readonly Dictionary<string, RepVggVariant> Architectures = new()
    {
        ["dense"] = new("dense", 8, [1, 2], [16, 24], 1, Classes: 7),
        ["groups2-straddling"] = new("groups2", 16, [2, 3, 2], [16, 24, 40], 2, Classes: 5),
        ["groups4"] = new("groups4", 16, [2, 2, 2], [32, 64, 64], 4, Classes: 10),
        ["depthwise-like"] = new("groups8", 8, [3], [8], 8, Classes: 3),
        ["odd-widths"] = new("odd", 5, [2, 2], [7, 13], 1, Classes: 11),
    };

    public static IEnumerable<object[]> ArchitectureNames => Architectures.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(ArchitectureNames))]
    public void Each_fused_block_equals_its_branches_in_float64(string architecture)
    {
        TrainedNetwork network = SyntheticNetwork.Create(Architectures[architecture], seed: 7, new(2, 12, 9));
        Activation x = SyntheticNetwork.RandomImages(new DeterministicRandom(3), new(2, 12, 9));

        foreach (RepVggBlock block in network.Blocks)
        {
            FusedConv fused = BatchNormFolding.Fuse(block);
            Activation viaFusion = UnfusedReference.Block(block with { Dense = null, Pointwise = null, Identity = null, Deployed = fused }, x);
            Activation viaBranches = UnfusedReference.Block(block, x);

            NumericAssert.Close(viaBranches.Data, viaFusion.Data, 1e-13, $"{architecture} block {block.Name}");
            x = viaBranches;
        }
    }

    public static IEnumerable<object[]> NetworksSizesAndBatches =>
    [
        ["dense", 33, 47, 1],
        ["groups2-straddling", 33, 47, 3],
        ["groups2-straddling", 16, 16, 2],
        ["groups4", 29, 31, 2],
        ["depthwise-like", 13, 1, 2],
        ["odd-widths", 1, 1, 1],
        ["odd-widths", 40, 23, 2],
    ];

    [Theory]
    [MemberData(nameof(NetworksSizesAndBatches))]
    public void Compiled_float32_network_matches_unfused_float64_reference(string architecture, int height, int width, int batch)
    {
        CompiledModel model = Compile(SyntheticNetwork.Create(Architectures[architecture], seed: 11, new(2, 16, 16)));
        float[] images = CompiledNetwork.RandomImages(batch, height, width, seed: 5);

        float[] logits = CompiledNetwork.Infer(model, images, height, width);

        NumericAssert.Close(CompiledNetwork.Reference(model, images, height, width), logits, 1e-5, $"{architecture} at {batch} x {height} x {width}");
    }

    [Fact]
    public void Full_size_RepVGG_A0_at_224_matches_unfused_float64_reference()
    {
        CompiledModel model = Compile(SyntheticNetwork.Create(RepVggVariant.A0, SyntheticCheckpoint.DefaultSeed, SyntheticCheckpoint.DefaultCalibration));
        float[] images = CompiledNetwork.RandomImages(1, 224, 224, seed: 1);

        float[] logits = CompiledNetwork.Infer(model, images, 224, 224);

        Assert.Equal("RepVGG-A0", model.Manifest.Variant);
        NumericAssert.Close(CompiledNetwork.Reference(model, images, 224, 224), logits, 1e-5, "RepVGG-A0 at 224 x 224");
        // The default, compact blob holds each fused weight once: at most 1.05 times the fused float32 values (issue #25),
        // its padding to 16-channel blocks and 64-byte alignment aside; the Winograd layers' transforms are made at Create.
        Assert.Equal(WeightsLayout.Compact, model.Layout);
        long fused = model.Network.Blocks.Sum(block => (long)block.OutChannels * (block.InChannels / block.Groups) * 9 + block.OutChannels)
            + (long)model.Network.Head.Classes * (model.Network.Head.Features + 1);
        Assert.True(model.Blob.Length <= 1.05 * fused, $"the blob holds {model.Blob.Length} floats for {fused} fused values ({(double)model.Blob.Length / fused:F3} x).");
    }

    [Fact]
    public void Grouped_published_shape_B1g4_slimmed_matches_reference()
    {
        // B1g4's depths and grouping pattern at a quarter of its widths, so the float64 reference stays quick.
        var slim = RepVggVariant.B1g4 with { StemWidth = 16, Widths = [32, 64, 128, 512], Classes = 100 };
        CompiledModel model = Compile(SyntheticNetwork.Create(slim, seed: 4, new(2, 64, 64)));
        float[] images = CompiledNetwork.RandomImages(2, 65, 57, seed: 2);

        float[] logits = CompiledNetwork.Infer(model, images, 65, 57);

        NumericAssert.Close(CompiledNetwork.Reference(model, images, 65, 57), logits, 1e-5, "slim B1g4 at 2 x 65 x 57");
    }

    private static CompiledModel Compile(TrainedNetwork network) =>
        WeightsStep.Pack(network, new("synthetic.pth", "", network.Layout.Name, "training"), []);
}
