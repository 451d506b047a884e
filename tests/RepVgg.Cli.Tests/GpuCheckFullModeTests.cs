namespace RepVgg.Cli.Tests;

/// <summary>
/// <c>repvgg-gpu-check</c>'s full check (tools/gpu-check) as far as a machine without a GPU can take it: its command
/// line, which it reads whole before it opens a device.
/// </summary>
public class GpuCheckFullModeTests
{
    private const string Program = "repvgg-gpu-check.dll";

    [Theory]
    [InlineData("tf32,fp8", "--precisions must be a comma-separated list of fp32, tf32 or fp16; found 'fp8'.")]
    [InlineData("", "--precisions must be a comma-separated list of fp32, tf32 or fp16; found ''.")]
    public void Precisions_it_does_not_know_are_exit_code_2_saying_why(string precisions, string message)
    {
        (int exitCode, string output) = DotnetRun.Of(Program, "--precisions", precisions, "--accelerator", "cpu");

        Assert.True(exitCode == 2, output);
        Assert.Contains($"repvgg-gpu-check : error : {message}", output);
    }
}
