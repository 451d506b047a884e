using RepVgg.Checkpoints;
using RepVgg.Compiler.Writing;

namespace RepVgg.Integration.Tests;

/// <summary>
/// A small project in a fresh folder that lists RepVggModel items, built with the real <c>dotnet build</c>. The folder
/// is inside the repository (under this test project's ignored bin/), so the project picks up Directory.Build.props
/// and Directory.Build.targets as any project here does.
/// </summary>
internal sealed class ScenarioProject : IDisposable
{
    public string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "scenarios", Guid.NewGuid().ToString("N"));

    public ScenarioProject() => System.IO.Directory.CreateDirectory(Directory);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    /// <summary>A path in the project's folder.</summary>
    public string File(string name) => Path.Combine(Directory, name);

    /// <summary>The weights step's folder under obj/.</summary>
    public string WeightsStepDirectory => Path.Combine(Directory, "obj", Configuration, "net10.0", "RepVgg");

    // Whether the project as last written has been restored: builds after the first skip restoring it again.
    private bool _restored;

    /// <summary>Writes Scenario.csproj with <paramref name="body"/> inside its Project element.</summary>
    public void WriteProject(string body)
    {
        System.IO.File.WriteAllText(File("Scenario.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
            {body}
            </Project>
            """);
        _restored = false;
    }

    /// <summary>
    /// Builds the project; node reuse off, so the tasks built from this repository are the ones that run. What the
    /// scenarios do not test is not done again in each of their thirty-odd builds, each of which it cost a few seconds:
    /// the repository's projects it references (Directory.Build.targets) are not built, as this test project references
    /// them too and they were built before the first test; and a project already restored as it is is not restored again.
    /// </summary>
    public (int ExitCode, string Output) Build(params string[] arguments)
    {
        string[] restore = _restored ? ["--no-restore"] : [];
        var result = DotnetCli.Run(Directory, ["build", "-c", Configuration, "-nodeReuse:false", "-clp:NoSummary", "-p:BuildProjectReferences=false", .. restore, .. arguments]);
        _restored |= result.ExitCode == 0;
        return result;
    }

    /// <summary>
    /// The PyTorch fixture's tensors, with the head's weights scaled by <paramref name="headScale"/> (another
    /// network of the same shape), plus <paramref name="extraTensor"/>, one the network does not use.
    /// </summary>
    public static void WriteFixture(string path, float headScale = 1, string? extraTensor = null)
    {
        var tensors = new List<TensorToWrite>();
        foreach (CheckpointTensor tensor in CheckpointReader.Read(PyTorchFixtures.OfficialPth).Values)
        {
            float scale = tensor.Name == "linear.weight" ? headScale : 1;
            tensors.Add(tensor.DType == TensorDType.Int64
                ? TensorToWrite.Int64Scalar(tensor.Name, 0)
                : TensorToWrite.FromFloats(tensor.Name, tensor.Shape, tensor.ToDoubleArray().Select(v => (float)v * scale).ToArray()));
        }
        if (extraTensor is not null) tensors.Add(TensorToWrite.FromFloats(extraTensor, [4, 256], new float[4 * 256]));
        PthWriter.Write(path, tensors);
    }

#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif
}
