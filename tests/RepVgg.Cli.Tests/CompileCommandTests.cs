using System.Security.Cryptography;
using RepVgg.Manifest;

namespace RepVgg.Cli.Tests;

/// <summary><c>repvgg compile</c>: the files <c>repvgg-compile compile</c> (the build's weights step) writes, byte for byte.</summary>
public class CompileCommandTests
{
    public static IEnumerable<object[]> Cases =>
    [
        [nameof(PyTorchFixtures.OfficialPth), new string[0]],
        [nameof(PyTorchFixtures.TimmSafetensors), new[] { "--input-height", "33", "--input-width", "47", "--strides", "1,2,2,2,2" }],
        [nameof(PyTorchFixtures.WrappedPth), new[] { "--input-height", "64", "--input-width", "64", "--state-dict-key", "state_dict" }],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Writes_the_blob_manifest_and_ONNX_model_repvgg_compile_writes(string checkpoint, string[] options)
    {
        using var folder = new TemporaryFolder();
        string path = PyTorchFixtures.Checkpoint(checkpoint);
        string[] Outputs(string tool) => ["--blob", folder.File($"{tool}.bin"), "--manifest", folder.File($"{tool}.json"), "--onnx", folder.File($"{tool}.onnx")];

        ToolRun run = ToolRun.Of(["compile", path, .. Outputs("repvgg"), .. options]);
        (int exitCode, string output) = RepVggCompileRun.Of(["compile", path, .. Outputs("repvgg-compile"), .. options]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(exitCode == 0, output);
        Assert.Contains("8 fused conv3x3 layers", run.Output);
        foreach (string extension in new[] { "bin", "json", "onnx" })
            Assert.True(File.ReadAllBytes(folder.File($"repvgg-compile.{extension}")).AsSpan().SequenceEqual(File.ReadAllBytes(folder.File($"repvgg.{extension}"))),
                $"repvgg.{extension} differs from what repvgg-compile writes.");

        // The manifest parses and describes the blob beside it: its length and its SHA-256, hashed here.
        ModelManifest manifest = ManifestJson.Parse(File.ReadAllText(folder.File("repvgg.json")));
        byte[] blob = File.ReadAllBytes(folder.File("repvgg.bin"));
        Assert.Equal(manifest.Blob.Floats * sizeof(float), blob.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(blob)), manifest.Blob.Sha256);
        Assert.Equal(Path.GetFileName(path), manifest.Source.File);
        Assert.Equal([16, 16, 16, 32, 32, 64, 64, 256], manifest.Layers.Select(l => l.OutChannels));
        Assert.Equal(options.Contains("1,2,2,2,2") ? 1 : 2, manifest.Layers[0].Stride);
    }

    [Fact]
    public void A_variant_the_checkpoint_is_not_gives_RVG0013_and_exit_code_1()
    {
        using var folder = new TemporaryFolder();
        ToolRun run = ToolRun.Of("compile", PyTorchFixtures.OfficialPth, "--blob", folder.File("b.bin"), "--manifest", folder.File("m.json"), "--variant", "A0");
        Assert.True(run.ExitCode == RepVggCommandLine.DiagnosticError, run.ToString());
        Assert.Contains($"{PyTorchFixtures.OfficialPth} : error RVG0013: Expected RepVGG-A0 (stage depths 2/4/14/1", run.Output);
        Assert.False(File.Exists(folder.File("b.bin")));
    }

    [Fact]
    public void Strides_that_are_not_1_or_2_give_RVG0016_and_exit_code_1()
    {
        using var folder = new TemporaryFolder();
        ToolRun run = ToolRun.Of("compile", PyTorchFixtures.OfficialPth, "--blob", folder.File("b.bin"), "--manifest", folder.File("m.json"), "--strides", "1,3,2,2,2");
        Assert.True(run.ExitCode == RepVggCommandLine.DiagnosticError, run.ToString());
        Assert.Contains(" : error RVG0016: ", run.Output);
    }

    [Theory]
    [InlineData("--input-height", "0")]
    [InlineData("--input-width", "wide")]
    [InlineData("--blob", null)]
    public void A_bad_or_missing_option_gives_exit_code_2(string option, string? value)
    {
        using var folder = new TemporaryFolder();
        List<string> args = ["compile", PyTorchFixtures.OfficialPth, "--blob", folder.File("b.bin"), "--manifest", folder.File("m.json")];
        int at = args.IndexOf(option);
        if (value is null) args.RemoveRange(at, 2);
        else args.AddRange([option, value]);
        ToolRun run = ToolRun.Of([.. args]);
        Assert.True(run.ExitCode == RepVggCommandLine.UsageError, run.ToString());
        Assert.Contains(option, run.Error);
        Assert.False(File.Exists(folder.File("b.bin")));
    }
}
