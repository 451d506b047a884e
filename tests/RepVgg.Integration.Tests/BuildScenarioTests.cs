using Microsoft.ML.OnnxRuntime;
using RepVgg.Checkpoints;
using RepVgg.Tooling.Writing;

namespace RepVgg.Integration.Tests;

/// <summary>
/// Real <c>dotnet build</c> runs of a small project that lists a RepVggModel: the diagnostics and
/// the incrementality a user sees. Slow (each build takes seconds), so few and to the point.
/// </summary>
[Collection(DotnetBuildCollection.Name)]
public sealed class BuildScenarioTests : IDisposable
{
    // Inside the repository (under this project's ignored bin/), so the scenario project picks up
    // Directory.Build.props and Directory.Build.targets as any project here does.
    private readonly string _directory = Path.Combine(AppContext.BaseDirectory, "scenarios", Guid.NewGuid().ToString("N"));

    public BuildScenarioTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_hostile_pickle_fails_the_build_with_RVG0010_naming_the_file_and_global()
    {
        byte[] pickle = new PickleWriter().Proto().Global("os", "system").Mark().Value("touch pwned").Tuple().Reduce().Stop().ToArray();
        string checkpoint = Path.Combine(_directory, "hostile.pth");
        PthWriter.WriteArchive(checkpoint, pickle, []);
        WriteProject("hostile.pth");

        (int exitCode, string output) = Build();

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"{checkpoint} : error RVG0010:", output);
        Assert.Contains("os.system", output);
        // Then the targets' own error, which says how to rerun the step by hand.
        Assert.Contains("error RVG0025: The RepVgg weights step could not compile this checkpoint (exit code 1); to rerun it:", output);
        Assert.False(File.Exists(Path.Combine(_directory, "pwned")));
    }

    [Fact]
    public void Unused_tensors_warn_and_the_weights_step_reruns_only_when_the_checkpoint_changes()
    {
        string checkpoint = Path.Combine(_directory, "model.pth");
        WriteFixtureWithExtraTensor(checkpoint, "stage4.0.attn.fc.weight");
        WriteProject("model.pth");

        (int first, string firstOutput) = Build();
        Assert.True(first == 0, firstOutput);
        Assert.Contains("repvgg-compile: model.pth -> custom, 8 fused conv3x3 layers", firstOutput);
        Assert.Contains($"{checkpoint} : warning RVG0012: Tensor 'stage4.0.attn.fc.weight' (4, 256)", firstOutput);

        (int second, string secondOutput) = Build();
        Assert.True(second == 0, secondOutput);
        Assert.DoesNotContain("repvgg-compile:", secondOutput);

        File.SetLastWriteTimeUtc(checkpoint, DateTime.UtcNow);
        (int third, string thirdOutput) = Build();
        Assert.True(third == 0, thirdOutput);
        Assert.Contains("repvgg-compile: model.pth", thirdOutput);
    }

    [Fact]
    public void A_model_without_ClassName_fails_the_build_with_RVG0023()
    {
        WriteProject("model.pth", className: null);

        (int exitCode, string output) = Build();

        Assert.NotEqual(0, exitCode);
        Assert.Contains("error RVG0023: RepVggModel 'model.pth' has no ClassName metadata", output);
    }

    [Fact]
    public void Two_models_with_one_ClassName_fail_the_build_with_RVG0024()
    {
        File.WriteAllText(Path.Combine(_directory, "Scenario.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <RepVggModel Include="{PyTorchFixtures.OfficialPth}" ClassName="Net" />
                <RepVggModel Include="{PyTorchFixtures.TimmSafetensors}" ClassName="Net" />
              </ItemGroup>
            </Project>
            """);

        (int exitCode, string output) = Build();

        Assert.NotEqual(0, exitCode);
        Assert.Contains("error RVG0024: Two RepVggModel items have the same ClassName (2 items, 1 distinct names: Net, Net)", output);
    }

    [Fact]
    public void ExportOnnx_writes_the_model_beside_the_build_output_and_again_when_it_is_deleted()
    {
        WriteProject(PyTorchFixtures.OfficialPth, extraMetadata: "ExportOnnx=\"true\"");
        string onnx = Path.Combine(_directory, "bin", Configuration, "net10.0", "ScenarioNet.onnx");

        (int first, string firstOutput) = Build();
        Assert.True(first == 0, firstOutput);
        Assert.True(File.Exists(onnx), $"No {onnx} after the build:\n{firstOutput}");
        using (var session = new InferenceSession(onnx))
        {
            Assert.Equal([-1, 3, -1, -1], session.InputMetadata["input"].Dimensions);
            Assert.Equal([-1, 10], session.OutputMetadata["logits"].Dimensions);
        }

        // The checkpoint is unchanged, but the export is one of the weights step's outputs.
        File.Delete(onnx);
        (int second, string secondOutput) = Build();
        Assert.True(second == 0, secondOutput);
        Assert.True(File.Exists(onnx), $"No {onnx} after rebuilding without it:\n{secondOutput}");
    }

    private void WriteProject(string checkpoint, string? className = "ScenarioNet", string extraMetadata = "") =>
        File.WriteAllText(Path.Combine(_directory, "Scenario.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <RepVggModel Include="{checkpoint}" {(className is null ? "" : $"ClassName=\"{className}\"")} {extraMetadata} />
              </ItemGroup>
            </Project>
            """);

    /// <summary>The PyTorch fixture's tensors, plus one the network does not use.</summary>
    private static void WriteFixtureWithExtraTensor(string path, string extra)
    {
        var tensors = new List<TensorToWrite>();
        foreach (CheckpointTensor tensor in CheckpointReader.Read(PyTorchFixtures.OfficialPth).Values)
        {
            tensors.Add(tensor.DType == TensorDType.Int64
                ? TensorToWrite.Int64Scalar(tensor.Name, 0)
                : TensorToWrite.FromFloats(tensor.Name, tensor.Shape, tensor.ToDoubleArray().Select(v => (float)v).ToArray()));
        }
        tensors.Add(TensorToWrite.FromFloats(extra, [4, 256], new float[4 * 256]));
        PthWriter.Write(path, tensors);
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private (int ExitCode, string Output) Build() =>
        DotnetCli.Run(_directory, "build", "-c", Configuration, "-nodeReuse:false", "-clp:NoSummary");
}
