using System.Runtime.InteropServices;
using System.Text.Json;

namespace RepVgg.Cli.Tests;

/// <summary>
/// <c>repvgg verify</c> on the PyTorch fixture: the logits it writes and the error it reports, checked against
/// PyTorch's float64 logits (tiny.expected.json), which share no code with the tool.
/// </summary>
public class VerifyCommandTests
{
    private static string[] SizeOptions(PyTorchFixtures.Input input) =>
        ["--input-height", input.Height.ToString(), "--input-width", input.Width.ToString()];

    private static string InputFile(string name) => Path.Combine(PyTorchFixtures.Directory, $"tiny.{name}.f32");

    /// <summary>||a - b||_2 / ||b||_2, in float64.</summary>
    private static double RelativeL2(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        double errors = 0, norms = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            errors += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norms += expected[i] * expected[i];
        }
        return Math.Sqrt(errors / norms);
    }

    [Theory]
    [InlineData(nameof(PyTorchFixtures.OfficialPth), "x64", "16")]
    [InlineData(nameof(PyTorchFixtures.TimmSafetensors), "x64", "2")] // 2 then 1 image
    [InlineData(nameof(PyTorchFixtures.WrappedPth), "x33x47", "16")]
    public void Reports_the_error_PyTorchs_float64_logits_give(string checkpoint, string inputName, string batch)
    {
        using var folder = new TemporaryFolder();
        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput(inputName);
        string logitsFile = folder.File("logits.f32");

        ToolRun run = ToolRun.Of(["verify", PyTorchFixtures.Checkpoint(checkpoint), "--input", InputFile(inputName), .. SizeOptions(input),
            "--batch", batch, "--output", logitsFile, "--json"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        float[] logits = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(logitsFile)).ToArray();
        Assert.Equal(input.Batch * input.Classes, logits.Length);
        NumericAssert.Close(input.Logits, logits, NumericAssert.Float32Tolerance, $"verify --output on {inputName}", [input.Batch, input.Classes]);

        using JsonDocument json = JsonDocument.Parse(run.Output);
        JsonElement root = json.RootElement;
        Assert.Equal(input.Batch, root.GetProperty("images").GetInt32());
        Assert.Equal(input.Batch, root.GetProperty("top1Agreements").GetInt32());
        Assert.True(root.GetProperty("passed").GetBoolean());
        // verify compares with its own float64 reference; PyTorch's float64 logits differ from it by float64
        // rounding only, so the fused network's error against either is the same figure to many digits.
        AssertSameError(RelativeL2(logits, input.Logits), root.GetProperty("relativeL2").GetDouble(), "overall relative L2");
        JsonElement[] perImage = [.. root.GetProperty("perImage").EnumerateArray()];
        Assert.Equal(input.Batch, perImage.Length);
        for (int n = 0; n < input.Batch; n++)
        {
            ReadOnlySpan<float> image = logits.AsSpan(n * input.Classes, input.Classes);
            ReadOnlySpan<double> expected = input.Logits.AsSpan(n * input.Classes, input.Classes);
            AssertSameError(RelativeL2(image, expected), perImage[n].GetProperty("relativeL2").GetDouble(), $"image {n}'s relative L2");
            double maxError = 0;
            for (int k = 0; k < input.Classes; k++) maxError = Math.Max(maxError, Math.Abs(image[k] - expected[k]));
            AssertSameError(maxError, perImage[n].GetProperty("maxAbsError").GetDouble(), $"image {n}'s max |error|");
            Assert.Equal(input.Top5[n][0], perImage[n].GetProperty("top1Reference").GetInt32());
            Assert.Equal(input.Top5[n][0], perImage[n].GetProperty("top1Fused").GetInt32());
        }
    }

    /// <summary>
    /// Errors of about 1e-6 (float32 rounding) computed against two float64 references that agree to about 1e-15
    /// of the logits agree to a millionth of themselves; a wrong figure (another norm, a missing square root,
    /// the wrong image) is off by far more.
    /// </summary>
    private static void AssertSameError(double independent, double reported, string what)
    {
        Assert.InRange(independent, 1e-9, NumericAssert.Float32Tolerance);
        Assert.True(Math.Abs(reported - independent) <= 1e-6 * independent,
            $"{what}: verify reports {reported:R}; computed from PyTorch's float64 logits here: {independent:R}.");
    }

    [Fact]
    public void The_table_gives_every_image_and_passes()
    {
        ToolRun run = ToolRun.Of(["verify", PyTorchFixtures.OfficialPth, "--input", InputFile("x64"), "--input-height", "64", "--input-width", "64"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("3 image(s) of 3 x 64 x 64", run.Output);
        Assert.Matches(@"\n\s+2\s+\d\.\d\dE-0[5-9]\s+\d\.\d\dE-\d\d\s+3\s+3\r?\n", run.Output); // image 2: PyTorch's top-1 is class 3
        Assert.Contains("3/3 agree", run.Output);
        Assert.Contains("passed: every image's relative L2 error is within the tolerance 0.0001", run.Output);
        Assert.Empty(run.Error);
    }

    [Fact]
    public void An_error_above_the_tolerance_gives_exit_code_3()
    {
        ToolRun run = ToolRun.Of(["verify", PyTorchFixtures.OfficialPth, "--input", InputFile("x33x47"), "--input-height", "33", "--input-width", "47",
            "--tolerance", "1e-12"]);
        Assert.True(run.ExitCode == RepVggCommandLine.ToleranceExceeded, run.ToString());
        Assert.Contains("FAILED: 1 image(s) exceed the relative L2 tolerance 1E-12", run.Output);
    }

    [Fact]
    public void An_input_of_the_wrong_size_gives_RVG0030_with_expected_and_found()
    {
        // tiny.x33x47.f32 holds 1 x 3 x 33 x 47 = 4653 floats, not a multiple of one 3 x 64 x 64 image.
        string file = InputFile("x33x47");
        ToolRun run = ToolRun.Of(["verify", PyTorchFixtures.OfficialPth, "--input", file, "--input-height", "64", "--input-width", "64"]);
        Assert.True(run.ExitCode == RepVggCommandLine.DiagnosticError, run.ToString());
        Assert.Contains($"{file} : error RVG0030: ", run.Output);
        Assert.Contains("holds 4653 floats; expected a multiple of 3 x 64 x 64 = 12288 floats", run.Output);
    }

    [Fact]
    public void An_input_that_is_not_whole_floats_or_missing_gives_RVG0030()
    {
        using var folder = new TemporaryFolder();
        string ragged = folder.File("ragged.f32"), missing = folder.File("missing.f32");
        File.WriteAllBytes(ragged, new byte[3 * 8 * 8 * 4 + 2]);

        ToolRun run = ToolRun.Of(["verify", PyTorchFixtures.OfficialPth, "--input", ragged, "--input-height", "8", "--input-width", "8"]);
        Assert.True(run.ExitCode == RepVggCommandLine.DiagnosticError, run.ToString());
        Assert.Contains($"{ragged} : error RVG0030: The input file holds 770 bytes, not a whole number of floats; expected a multiple of 3 x 8 x 8 = 192 floats", run.Output);

        run = ToolRun.Of(["verify", PyTorchFixtures.OfficialPth, "--input", missing]);
        Assert.True(run.ExitCode == RepVggCommandLine.DiagnosticError, run.ToString());
        Assert.Contains($"{missing} : error RVG0030: The input file '{missing}' does not exist", run.Output);
    }

    [Theory]
    [InlineData("--batch", "0")]
    [InlineData("--tolerance", "-1")]
    [InlineData("--tolerance", "small")]
    [InlineData("--input-height", "-64")]
    public void A_bad_option_gives_exit_code_2(string option, string value)
    {
        ToolRun run = ToolRun.Of(["verify", PyTorchFixtures.OfficialPth, "--input", InputFile("x64"), option, value]);
        Assert.True(run.ExitCode == RepVggCommandLine.UsageError, run.ToString());
        Assert.Contains(option, run.Error);
    }

    [Fact]
    public void Without_an_input_the_exit_code_is_2()
    {
        ToolRun run = ToolRun.Of("verify", PyTorchFixtures.OfficialPth);
        Assert.True(run.ExitCode == RepVggCommandLine.UsageError, run.ToString());
        Assert.Contains("--input", run.Error);
    }

    [Fact]
    public void An_output_in_a_missing_folder_is_refused_before_the_run()
    {
        using var folder = new TemporaryFolder();
        string logits = Path.Combine(folder.Path, "missing", "logits.f32");

        ToolRun run = ToolRun.Of(["verify", PyTorchFixtures.OfficialPth, "--input", InputFile("x64"), "--input-height", "64", "--input-width", "64", "-o", logits]);

        Assert.True(run.ExitCode == RepVggCommandLine.DiagnosticError, run.ToString());
        Assert.Contains($"{logits} : error RVG0035: --output '{logits}' is in the folder '{Path.GetDirectoryName(logits)}', which does not exist", run.Output);
        Assert.DoesNotContain("image(s) of", run.Output); // nothing was run
    }

    [Fact]
    public void An_output_that_is_a_folder_is_refused_saying_so()
    {
        using var folder = new TemporaryFolder();

        ToolRun run = ToolRun.Of(["verify", PyTorchFixtures.OfficialPth, "--input", InputFile("x64"), "--input-height", "64", "--input-width", "64", "-o", folder.Path]);

        Assert.True(run.ExitCode == RepVggCommandLine.DiagnosticError, run.ToString());
        Assert.Contains($"{folder.Path} : error RVG0035: --output '{folder.Path}' is a folder; expected the path of a file to write.", run.Output);
        Assert.DoesNotContain("Access", run.Output);
    }
}
