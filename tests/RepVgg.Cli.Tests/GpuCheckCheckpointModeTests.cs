using System.Runtime.InteropServices;

namespace RepVgg.Cli.Tests;

/// <summary>
/// <c>repvgg-gpu-check --checkpoint</c> (tools/gpu-check), the mode that runs any checkpoint on a raw float32 input
/// and writes the logits as raw float32: its arguments and files, with the CPU engine only (CI has no GPU).
/// </summary>
public class GpuCheckCheckpointModeTests
{
    private const string Program = "repvgg-gpu-check.dll";

    [Theory]
    [MemberData(nameof(PyTorchFixtures.AllInputs), MemberType = typeof(PyTorchFixtures))]
    public void Writes_the_CPU_engine_logits_PyTorch_computes_for_the_input_file(string inputName)
    {
        using var folder = new TemporaryFolder();
        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput(inputName);
        string inputFile = Path.Combine(PyTorchFixtures.Directory, $"tiny.{inputName}.f32");

        (int exitCode, string output) = DotnetRun.Of(Program, "--checkpoint", PyTorchFixtures.OfficialPth, "--input", inputFile,
            "--height", $"{input.Height}", "--width", $"{input.Width}", "--out-cpu", folder.File("cpu.f32"));

        Assert.True(exitCode == 0, output);
        Assert.Contains($"on {input.Batch} x 3 x {input.Height} x {input.Width}", output);
        float[] logits = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(folder.File("cpu.f32"))).ToArray();
        NumericAssert.Close(input.Logits, logits, NumericAssert.Float32Tolerance, $"repvgg-gpu-check --out-cpu on {inputName}", [input.Batch, input.Classes]);
    }

    [Fact]
    public void An_input_file_that_is_not_whole_images_of_the_size_given_is_exit_code_4_naming_the_file_and_sizes()
    {
        using var folder = new TemporaryFolder();
        string inputFile = Path.Combine(PyTorchFixtures.Directory, "tiny.x33x47.f32");

        (int exitCode, string output) = DotnetRun.Of(Program, "--checkpoint", PyTorchFixtures.OfficialPth, "--input", inputFile,
            "--height", "33", "--width", "48", "--out-cpu", folder.File("cpu.f32"));

        Assert.True(exitCode == 4, output);
        Assert.Contains($"{inputFile}: expected raw float32 NCHW images of 3 x 33 x 48 (19008 bytes each, N >= 1); found 18612 bytes", output);
        Assert.False(File.Exists(folder.File("cpu.f32")));
    }

    [Theory]
    [InlineData("--height", "0", "--height must be a positive whole number; found '0'.")]
    [InlineData("--precision", "fp8", "--precision must be fp32, tf32 or fp16; found 'fp8'.")]
    [InlineData("--batch", "4", "Unknown option for --checkpoint: --batch.")]
    [InlineData("--accelerator", "opencl", "--accelerator must be cuda or cpu; found 'opencl'.")]
    public void A_command_line_it_does_not_understand_is_exit_code_2_saying_why(string option, string value, string message)
    {
        using var folder = new TemporaryFolder();
        var args = new Dictionary<string, string>
        {
            ["--checkpoint"] = PyTorchFixtures.OfficialPth, ["--input"] = Path.Combine(PyTorchFixtures.Directory, "tiny.x64.f32"),
            ["--height"] = "64", ["--width"] = "64", ["--out-cpu"] = folder.File("cpu.f32"),
        };
        args[option] = value;

        (int exitCode, string output) = DotnetRun.Of(Program, args.SelectMany(a => new[] { a.Key, a.Value }).ToArray());

        Assert.True(exitCode == 2, output);
        Assert.Contains($"repvgg-gpu-check : error : {message}", output);
        Assert.False(File.Exists(folder.File("cpu.f32")));
    }
}
