namespace RepVgg.Cli.Tests;

/// <summary>
/// RVG0028 as the commands print it: the PyTorch fixture is a custom network (no published variant), so compiled
/// without strides or an input size it is warned about, as the build warns; with all of them given it is not.
/// </summary>
public class AssumedDefaultsTests
{
    private static readonly string[] Everything = ["--strides", "2,2,2,2,2", "--input-height", "64", "--input-width", "64"];

    [Fact]
    public void Verify_without_strides_warns_naming_RepVGGs_strides_and_the_option()
    {
        string images = Path.Combine(PyTorchFixtures.Directory, "tiny.x64.f32");

        ToolRun warned = ToolRun.Of("verify", PyTorchFixtures.OfficialPth, "--input", images, "--input-height", "64", "--input-width", "64");
        ToolRun quiet = ToolRun.Of(["verify", PyTorchFixtures.OfficialPth, "--input", images, .. Everything]);

        Assert.True(warned.ExitCode == 0, warned.ToString());
        Assert.Contains($"{PyTorchFixtures.OfficialPth} : warning RVG0028: The checkpoint matches no published RepVGG variant, and was compiled assuming strides 2,2,2,2,2 (RepVGG's, stem first): ", warned.Output);
        Assert.Contains("(--strides on the command line)", warned.Output);
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.DoesNotContain("RVG0028", quiet.Output);
    }

    [Fact]
    public void Export_onnx_takes_the_input_size_and_without_it_warns_naming_224()
    {
        using var folder = new TemporaryFolder();

        ToolRun warned = ToolRun.Of("export-onnx", PyTorchFixtures.OfficialPth, "-o", folder.File("warned.onnx"), "--strides", "2,2,2,2,2");
        ToolRun quiet = ToolRun.Of(["export-onnx", PyTorchFixtures.OfficialPth, "-o", folder.File("quiet.onnx"), .. Everything]);

        Assert.True(warned.ExitCode == 0, warned.ToString());
        Assert.Contains(": warning RVG0028: The checkpoint matches no published RepVGG variant, and was compiled assuming input 224 x 224 (RepVGG's): ", warned.Output);
        Assert.Contains("(--input-height and --input-width on the command line)", warned.Output);
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.DoesNotContain("RVG0028", quiet.Output);
        // The sizes only silence the warning: the model's height and width stay symbolic, so both files are one model.
        Assert.Equal(File.ReadAllBytes(folder.File("warned.onnx")), File.ReadAllBytes(folder.File("quiet.onnx")));
    }
}
