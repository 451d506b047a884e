namespace RepVgg.Cli.Tests;

/// <summary>
/// Writing onto a full disk: exit code 1 with one error line, the previous file byte for byte as it was, and no
/// temporary file left. Before outputs were written atomically, export-onnx left a truncated model in place of the old one.
/// </summary>
public class FullDiskTests
{
    [SmallDiskFact]
    public void Export_onnx_over_a_valid_model_on_a_full_disk_keeps_the_model()
    {
        using var disk = new SmallDisk("1m");
        string onnx = disk.File("model.onnx");
        ToolRun first = ToolRun.Of("export-onnx", PyTorchFixtures.OfficialPth, "-o", onnx);
        Assert.True(first.ExitCode == 0, first.ToString());
        byte[] model = File.ReadAllBytes(onnx);
        disk.Fill();

        ToolRun run = ToolRun.Of("export-onnx", PyTorchFixtures.OfficialPth, "-o", onnx);

        Assert.True(run.ExitCode == RepVggCommandLine.DiagnosticError, run.ToString());
        Assert.Contains($"{onnx} : error RVG0035: Cannot write the ONNX model '{onnx}': ", run.Output);
        Assert.Equal(model, File.ReadAllBytes(onnx));
        Assert.Equal([disk.File("filler"), onnx], Directory.GetFileSystemEntries(disk.Path).Order());
    }
}
