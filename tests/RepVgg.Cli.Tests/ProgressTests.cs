using System.Text.Json;

namespace RepVgg.Cli.Tests;

/// <summary>Progress goes to standard error, only when asked for (a terminal), and never into standard output.</summary>
public class ProgressTests
{
    [Fact]
    public void Progress_goes_to_standard_error_and_the_JSON_on_standard_output_stays_clean()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        // No delay, so the tiny fixture's steps show their lines as a large checkpoint's would.
        int exitCode = RepVggCommandLine.Run(
            ["verify", PyTorchFixtures.OfficialPth, "--input", Path.Combine(PyTorchFixtures.Directory, "tiny.x64.f32"), "--input-height", "64", "--input-width", "64", "--json"],
            output, error, new ProgressDisplay(error, TimeSpan.Zero));

        Assert.True(exitCode == 0, $"{output}\n{error}");
        using JsonDocument json = JsonDocument.Parse(output.ToString()); // nothing but the object
        Assert.Equal(3, json.RootElement.GetProperty("images").GetInt32());
        string progress = error.ToString();
        Assert.Contains("\rfusing: 8/8 blocks", progress);
        Assert.Contains("\rfused float32 network: 3/3 images", progress);
        Assert.Contains("\runfused float64 reference: 24/24 image-blocks", progress);
        Assert.EndsWith("\r", progress); // each line erased when its step ends
    }

    [Fact]
    public void Without_a_terminal_nothing_is_written_to_standard_error()
    {
        using var folder = new TemporaryFolder();
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = RepVggCommandLine.Run(["export-onnx", PyTorchFixtures.OfficialPth, "-o", folder.File("m.onnx")], output, error, showProgress: false);
        Assert.True(exitCode == 0, output.ToString());
        Assert.Empty(error.ToString());
    }
}
