using Microsoft.ML.OnnxRuntime;
using RepVgg.Checkpoints;
using RepVgg.Compiler;
using RepVgg.Compiler.Snapshots;
using RepVgg.Compiler.Reference;
using RepVgg.Compiler.Writing;

namespace RepVgg.Integration.Tests;

/// <summary>
/// Real <c>dotnet build</c> runs of a small project that lists a RepVggModel: the diagnostics and
/// the incrementality a user sees. Slow (each build takes seconds), so few and to the point.
/// </summary>
[Collection(ScenarioBuildCollection.Name)]
public sealed class BuildScenarioTests : IDisposable
{
    private readonly ScenarioProject _project = new();

    public void Dispose() => _project.Dispose();

    [Fact]
    public void A_hostile_pickle_fails_the_build_with_RVG0010_naming_the_file_and_global()
    {
        byte[] pickle = new PickleWriter().Proto().Global("os", "system").Mark().Value("touch pwned").Tuple().Reduce().Stop().ToArray();
        string checkpoint = Path.Combine(_project.Directory, "hostile.pth");
        PthWriter.WriteArchive(checkpoint, pickle, []);
        WriteProject("hostile.pth");

        (int exitCode, string output) = Build();

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"{checkpoint} : error RVG0010:", output);
        Assert.Contains("os.system", output);
        // Then the targets' own error, which says how to rerun the step by hand.
        Assert.Contains("error RVG0025: The RepVgg weights step could not compile this checkpoint (exit code 1); to rerun it:", output);
        Assert.False(File.Exists(Path.Combine(_project.Directory, "pwned")));
    }

    [Fact]
    public void Unused_tensors_warn_and_the_weights_step_reruns_only_when_the_checkpoint_changes()
    {
        string checkpoint = Path.Combine(_project.Directory, "model.pth");
        WriteFixture(checkpoint, extraTensor: "stage4.0.attn.fc.weight");
        WriteProject("model.pth");

        (int first, string firstOutput) = Build();
        Assert.True(first == 0, firstOutput);
        Assert.Contains("repvgg-compile: model.pth -> custom, 8 fused conv3x3 layers", firstOutput);
        Assert.Contains($"{checkpoint} : warning RVG0012: Tensor 'stage4.0.attn.fc.weight' (4, 256)", firstOutput);

        (int second, string secondOutput) = Build();
        Assert.True(second == 0, secondOutput);
        Assert.DoesNotContain("repvgg-compile:", secondOutput);

        // Touched, as a checkout does: the same bytes compile to the same network, so nothing runs.
        File.SetLastWriteTimeUtc(checkpoint, DateTime.UtcNow);
        (int third, string thirdOutput) = Build();
        Assert.True(third == 0, thirdOutput);
        Assert.DoesNotContain("repvgg-compile:", thirdOutput);

        // Other bytes: compiled again (IncrementalByContentTests tries every other route).
        WriteFixture(checkpoint, headScale: 3, extraTensor: "stage4.0.attn.fc.weight");
        (int fourth, string fourthOutput) = Build();
        Assert.True(fourth == 0, fourthOutput);
        Assert.Contains("repvgg-compile: model.pth", fourthOutput);
        // Snapshots are opt-in: without Snapshot="true" nothing is written beside the project.
        Assert.False(Directory.Exists(Path.Combine(_project.Directory, "RepVggSnapshots")));
    }

    [Fact]
    public void A_snapshot_is_written_kept_and_fails_the_build_when_the_checkpoint_changes_until_accepted()
    {
        string checkpoint = Path.Combine(_project.Directory, "model.pth");
        WriteFixture(checkpoint);
        WriteProject("model.pth", extraMetadata: "InputHeight=\"32\" InputWidth=\"32\" Snapshot=\"true\"");
        string source = Path.Combine(_project.Directory, "RepVggSnapshots", "ScenarioNet.g.cs");
        string logits = Path.Combine(_project.Directory, "RepVggSnapshots", "ScenarioNet.logits.txt");

        // 1. The first build writes both snapshots: the class as generated, and logits that agree with the
        //    unfused float64 reference on the probe image.
        (int first, string firstOutput) = Build();
        Assert.True(first == 0, firstOutput);
        Assert.Contains($"created the snapshot {source}", firstOutput);
        Assert.Contains("public sealed partial class ScenarioNet", File.ReadAllText(source));
        Assert.Contains("// Checkpoint: model.pth", File.ReadAllText(source));
        NumericAssert.Close(ReferenceLogits(checkpoint), LogitsFingerprint.Parse(File.ReadAllText(logits)), NumericAssert.Float32Tolerance, "snapshot logits");

        // 2. Unchanged: a snapshot touched (as a checkout does) is compared again, and agrees.
        string stamp = Path.Combine(_project.Directory, "obj", Configuration, "net10.0", "RepVgg", "ScenarioNet.snapshot.stamp");
        DateTime firstCheck = File.GetLastWriteTimeUtc(stamp);
        File.SetLastWriteTimeUtc(logits, DateTime.UtcNow);
        (int second, string secondOutput) = Build();
        Assert.True(second == 0, secondOutput);
        Assert.DoesNotContain("repvgg-compile:", secondOutput);
        Assert.True(File.GetLastWriteTimeUtc(stamp) > firstCheck, $"The snapshot was not checked again:\n{secondOutput}");

        // 3. Another network of the same shape: the head's weights doubled.
        string firstLogits = File.ReadAllText(logits);
        WriteFixture(checkpoint, headScale: 2);
        (int third, string thirdOutput) = Build();
        Assert.NotEqual(0, third);
        Assert.Contains($"{source} : error RVG0040: The source generated for ScenarioNet differs from the snapshot {source}", thirdOutput);
        Assert.Contains($"{logits} : error RVG0041: The logits of ScenarioNet for the probe image differ from the snapshot {logits}", thirdOutput);
        Assert.Contains("-// SHA-256:", thirdOutput);
        Assert.Contains("+// SHA-256:", thirdOutput);
        Assert.Contains("-class 0: ", thirdOutput);
        Assert.Contains("accept it: dotnet build -p:RepVggAcceptSnapshots=true", thirdOutput);
        Assert.Equal(firstLogits, File.ReadAllText(logits));

        // 4. Accepted: the snapshots now hold the new network, and the build after that passes as it is.
        (int fourth, string fourthOutput) = Build("-p:RepVggAcceptSnapshots=true");
        Assert.True(fourth == 0, fourthOutput);
        Assert.Contains($"accepted {Path.Combine(_project.Directory, "obj")}", fourthOutput);
        NumericAssert.Close(ReferenceLogits(checkpoint), LogitsFingerprint.Parse(File.ReadAllText(logits)), NumericAssert.Float32Tolerance, "accepted logits");
        // 5. Nothing changed since: the check does not run at all.
        DateTime acceptedCheck = File.GetLastWriteTimeUtc(stamp);
        (int fifth, string fifthOutput) = Build();
        Assert.True(fifth == 0, fifthOutput);
        Assert.Equal(acceptedCheck, File.GetLastWriteTimeUtc(stamp));
    }

    /// <summary>The unfused float64 network's logits for the probe image (32 x 32), which the snapshot's must match.</summary>
    private static double[] ReferenceLogits(string checkpoint)
    {
        CompiledModel model = WeightsStep.Compile(checkpoint, new CompileOptions { InputHeight = 32, InputWidth = 32 });
        return UnfusedReference.Forward(model.Network, Activation.FromFloats(ProbeImage.Create(3, 32, 32), 1, 3, 32, 32));
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
        File.WriteAllText(Path.Combine(_project.Directory, "Scenario.csproj"), $"""
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
        string onnx = Path.Combine(_project.Directory, "bin", Configuration, "net10.0", "ScenarioNet.onnx");

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
        _project.WriteProject($"""
              <ItemGroup>
                <RepVggModel Include="{checkpoint}" {(className is null ? "" : $"ClassName=\"{className}\"")} {extraMetadata} />
              </ItemGroup>
            """);

    private const string Configuration = ScenarioProject.Configuration;

    private static void WriteFixture(string path, float headScale = 1, string? extraTensor = null) => ScenarioProject.WriteFixture(path, headScale, extraTensor);

    private (int ExitCode, string Output) Build(params string[] arguments) => _project.Build(arguments);
}
