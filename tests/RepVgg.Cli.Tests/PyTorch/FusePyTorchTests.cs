using System.Text.Json;
using RepVgg.Compiler.Tests.PyTorch;

namespace RepVgg.Cli.Tests.PyTorch;

/// <summary>
/// <c>repvgg fuse</c> against real PyTorch: Python writes a training-time checkpoint, the tool fuses it here
/// in-process, and Python loads the result with <c>strict=True</c> into the deploy-mode model and compares its
/// float64 logits with the training-time model's eval logits (fuse_check.py).
/// </summary>
public class FusePyTorchTests
{
    private static readonly string Script = Path.Combine(PyTorchFixtures.RepositoryRoot, "tests", "RepVgg.Cli.Tests", "PyTorch", "fuse_check.py");

    [PyTorchFact]
    public void The_fused_checkpoint_loads_strictly_into_the_deploy_model_and_gives_the_same_logits()
    {
        string python = PyTorchEnvironment.Python ?? throw new InvalidOperationException(
            "PyTorch is required under CI=true, and no python3 imports torch; .ci/run installs it with apt-get install -y python3-torch.");
        using var folder = new TemporaryFolder();
        Python(python, "write", folder.Path);

        // The network has a stride-1 stem; a state_dict does not say so, and fusing does not need it, but the build would.
        string train = folder.File("train.pth");
        ToolRun official = ToolRun.Of("fuse", train, "-o", folder.File("deploy.pth"), "--strides", "1,2,2,2,2");
        Assert.True(official.ExitCode == 0, official.ToString());
        ToolRun timm = ToolRun.Of("fuse", train, "-o", folder.File("deploy-timm.pth"), "--naming", "timm");
        Assert.True(timm.ExitCode == 0, timm.ToString());
        ToolRun inspect = ToolRun.Of("inspect", train, "--json");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        // The squeeze-and-excitation networks: D2se's units carried over, RepVGGplus's too with its auxiliary heads dropped.
        foreach (string squeezed in new[] { "d2se", "plus" })
        {
            ToolRun fused = ToolRun.Of("fuse", folder.File($"{squeezed}-train.pth"), "-o", folder.File($"{squeezed}-deploy.pth"));
            Assert.True(fused.ExitCode == 0, fused.ToString());
        }

        using JsonDocument result = JsonDocument.Parse(Python(python, "check", folder.Path).Trim().Split('\n')[^1]);
        JsonElement r = result.RootElement;
        double relativeL2 = r.GetProperty("relative_l2").GetDouble();
        Assert.True(relativeL2 <= 1e-5 && r.GetProperty("logits_norm").GetDouble() > 0,
            $"Deploy-mode logits differ from the training-time model's: relative L2 {relativeL2:E3}, max abs {r.GetProperty("max_abs").GetDouble():E3}.");
        Assert.True(r.GetProperty("timm_same").GetBoolean(), "deploy-timm.pth does not hold deploy.pth's tensors under timm's names.");
        foreach (JsonProperty squeezed in r.GetProperty("squeezed").EnumerateObject())
        {
            double error = squeezed.Value.GetProperty("relative_l2").GetDouble();
            Assert.True(error <= 1e-5 && squeezed.Value.GetProperty("logits_norm").GetDouble() > 0,
                $"{squeezed.Name}-deploy.pth's logits differ from the training-time model's: relative L2 {error:E3}.");
        }

        // The parameter counts inspect reports are PyTorch's.
        using JsonDocument inspection = JsonDocument.Parse(inspect.Output);
        Assert.Equal(r.GetProperty("train_parameters").GetInt64(), inspection.RootElement.GetProperty("checkpointParameters").GetInt64());
        Assert.Equal(r.GetProperty("deploy_parameters").GetInt64(), inspection.RootElement.GetProperty("fusedParameters").GetInt64());
    }

    private static string Python(string python, string step, string folder)
    {
        var (exitCode, output) = PyTorchEnvironment.Run(python, $"\"{Script}\" {step} \"{folder}\"");
        Assert.True(exitCode == 0, $"{Script} {step} failed (exit code {exitCode}):\n{output}");
        return output;
    }
}
