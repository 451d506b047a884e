using Microsoft.ML.OnnxRuntime;

namespace RepVgg.Cli.Tests;

/// <summary>
/// <c>repvgg export-onnx</c>: the model it writes, run by ONNX Runtime, against PyTorch's float64 logits (as the
/// compiler's ONNX tests check the export), and byte for byte what <c>repvgg-compile export-onnx</c> writes.
/// </summary>
public class ExportOnnxCommandTests
{
    public static IEnumerable<object[]> CheckpointsAndInputs =>
        from checkpoint in new[] { nameof(PyTorchFixtures.OfficialPth), nameof(PyTorchFixtures.TimmSafetensors) }
        from input in new[] { "x64", "x33x47" }
        select new object[] { checkpoint, input };

    [Theory]
    [MemberData(nameof(CheckpointsAndInputs))]
    public void The_model_in_ONNX_Runtime_gives_PyTorchs_logits(string checkpoint, string inputName)
    {
        using var folder = new TemporaryFolder();
        string onnx = folder.File("model.onnx");
        ToolRun run = ToolRun.Of("export-onnx", PyTorchFixtures.Checkpoint(checkpoint), "-o", onnx);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"repvgg: wrote ONNX model {onnx}", run.Output);

        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput(inputName);
        using var session = new InferenceSession(onnx);
        using OrtValue images = OrtValue.CreateTensorValueFromMemory(input.Images, [input.Batch, 3, input.Height, input.Width]);
        using var options = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(options, ["input"], [images], ["logits"]);
        float[] logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        NumericAssert.Close(input.Logits, logits, NumericAssert.Float32Tolerance, $"ONNX Runtime on {checkpoint}'s export against PyTorch float64, {inputName}",
            [input.Batch, input.Classes]);
        for (int n = 0; n < input.Batch; n++)
            Assert.Equal(input.Top5[n], NumericAssert.TopK(logits, n, input.Classes, 5));
    }

    [Fact]
    public void Writes_the_bytes_repvgg_compile_writes()
    {
        using var folder = new TemporaryFolder();
        string ours = folder.File("repvgg.onnx"), build = folder.File("repvgg-compile.onnx");
        string[] options = ["--strides", "1,2,2,2,2"];

        ToolRun run = ToolRun.Of(["export-onnx", PyTorchFixtures.WrappedPth, "-o", ours, .. options]);
        (int exitCode, string output) = RepVggCompileRun.Of(["export-onnx", PyTorchFixtures.WrappedPth, "-o", build, .. options]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(exitCode == 0, output);
        Assert.Equal(File.ReadAllBytes(build), File.ReadAllBytes(ours));
    }

    [Fact]
    public void A_broken_checkpoint_gives_exit_code_1_and_no_model()
    {
        using var folder = new TemporaryFolder();
        string broken = folder.File("broken.pth"), onnx = folder.File("model.onnx");
        File.WriteAllBytes(broken, [0x50, 0x4b, 3, 4]);
        ToolRun run = ToolRun.Of("export-onnx", broken, "-o", onnx);
        Assert.True(run.ExitCode == RepVggCommandLine.DiagnosticError, run.ToString());
        Assert.Contains($"{broken} : error RVG0002: ", run.Output);
        Assert.False(File.Exists(onnx));
    }

    [Fact]
    public void Without_an_output_file_the_exit_code_is_2()
    {
        ToolRun run = ToolRun.Of("export-onnx", PyTorchFixtures.OfficialPth);
        Assert.True(run.ExitCode == RepVggCommandLine.UsageError, run.ToString());
        Assert.Contains("--output", run.Error);
    }

    [Fact]
    public void Help_gives_the_input_as_the_checkpoints_channels()
    {
        ToolRun run = ToolRun.Of("export-onnx", "--help");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("float32 (batch, channels, height,", run.Output);
        Assert.Contains("channels the checkpoint's", run.Output);
        Assert.DoesNotContain("(batch, 3,", run.Output);
        Assert.Contains("--input-height", run.Output);
    }
}
