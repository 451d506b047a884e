using RepVgg.Checkpoints;
using RepVgg.Compiler;

namespace RepVgg.Cli.Tests;

public class FuseCommandTests
{
    public static IEnumerable<object[]> Outputs =>
        from checkpoint in new[] { nameof(PyTorchFixtures.OfficialPth), nameof(PyTorchFixtures.TimmSafetensors) }
        from extension in new[] { ".pth", ".safetensors" }
        from naming in new[] { "official", "timm" }
        select new object[] { checkpoint, extension, naming };

    /// <summary>
    /// The fused file holds the float32 weights the blob is built from, so compiling it gives the training-time
    /// checkpoint's blob bit for bit; it is a deploy-time checkpoint in the names asked for.
    /// </summary>
    [Theory]
    [MemberData(nameof(Outputs))]
    public void Compiling_the_fused_file_gives_the_original_blob(string checkpoint, string extension, string naming)
    {
        using var folder = new TemporaryFolder();
        string original = PyTorchFixtures.Checkpoint(checkpoint), fused = folder.File("deploy" + extension);

        ToolRun run = ToolRun.Of("fuse", original, "-o", fused, "--naming", naming);
        Assert.True(run.ExitCode == 0, run.ToString());

        // Everything given, so the fixture (a custom network) is not warned about RepVGG's defaults (RVG0028).
        var options = new CompileOptions { Strides = [2, 2, 2, 2, 2], InputHeight = 224, InputWidth = 224 };
        CompiledModel expected = WeightsStep.Compile(original, options), actual = WeightsStep.Compile(fused, options);
        Assert.Equal("training", expected.Manifest.Source.Kind);
        Assert.Equal("deploy", actual.Manifest.Source.Kind);
        Assert.Equal(naming, actual.Manifest.Source.KeyLayout);
        Assert.Empty(actual.Warnings); // every tensor written is one the network uses
        Assert.Equal(expected.Blob.Length, actual.Blob.Length);
        for (int i = 0; i < expected.Blob.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected.Blob[i]) != BitConverter.SingleToInt32Bits(actual.Blob[i]))
                Assert.Fail($"Blob differs first at float {i}: {expected.Blob[i]:R} expected, {actual.Blob[i]:R} found.");
        }
        Assert.Equal(expected.Manifest.Blob.Sha256, actual.Manifest.Blob.Sha256);
        Assert.Equal(expected.Manifest.Layers.Select(l => (l.InChannels, l.OutChannels, l.Stride, l.Groups)),
            actual.Manifest.Layers.Select(l => (l.InChannels, l.OutChannels, l.Stride, l.Groups)));
    }

    [Theory]
    [InlineData(nameof(PyTorchFixtures.OfficialPth), "stage0.rbr_reparam.weight", "stage1.0.rbr_reparam.bias", "linear.weight")]
    [InlineData(nameof(PyTorchFixtures.TimmSafetensors), "stem.reparam_conv.weight", "stages.0.0.reparam_conv.bias", "head.fc.weight")]
    public void Without_naming_the_checkpoints_own_names_are_kept(string checkpoint, params string[] someKeys)
    {
        using var folder = new TemporaryFolder();
        string fused = folder.File("deploy.pth");
        ToolRun run = ToolRun.Of("fuse", PyTorchFixtures.Checkpoint(checkpoint), "-o", fused);
        Assert.True(run.ExitCode == 0, run.ToString());

        StateDict tensors = CheckpointReader.Read(fused);
        // 8 blocks with a weight and a bias each, then the classifier's weight and bias.
        Assert.Equal(18, tensors.Count);
        foreach (string key in someKeys) Assert.Contains(key, tensors.Keys);
        Assert.All(tensors.Values, t => Assert.Equal(TensorDType.Float32, t.DType));
        Assert.Equal([16, 3, 3, 3], tensors[someKeys[0]].Shape);
    }

    [Fact]
    public void Fusing_a_deploy_checkpoint_writes_it_again()
    {
        using var folder = new TemporaryFolder();
        string once = folder.File("once.safetensors"), twice = folder.File("twice.safetensors");
        Assert.Equal(0, ToolRun.Of("fuse", PyTorchFixtures.OfficialPth, "-o", once).ExitCode);
        Assert.Equal(0, ToolRun.Of("fuse", once, "-o", twice).ExitCode);
        Assert.Equal(File.ReadAllBytes(once), File.ReadAllBytes(twice));
    }

    [Fact]
    public void A_broken_file_gives_exit_code_1_and_writes_nothing()
    {
        using var folder = new TemporaryFolder();
        string broken = folder.File("broken.safetensors"), fused = folder.File("deploy.pth");
        File.WriteAllBytes(broken, [1, 2, 3]);
        ToolRun run = ToolRun.Of("fuse", broken, "-o", fused);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains(" : error RVG0002: ", run.Output);
        Assert.False(File.Exists(fused));
    }
}
