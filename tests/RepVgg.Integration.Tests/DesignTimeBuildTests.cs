namespace RepVgg.Integration.Tests;

/// <summary>
/// What an IDE (Visual Studio, Rider, C# Dev Kit) sees: design-time builds, which it runs on every
/// edit with DesignTimeBuild=true and without building references or running the compiler, never
/// run the weights step, and hand the generator the manifest of the last real build.
/// </summary>
[Collection(DotnetBuildCollection.Name)]
public sealed class DesignTimeBuildTests : IDisposable
{
    // Inside the repository (under this project's ignored bin/), so the project gets Directory.Build.targets.
    private readonly string _directory = Path.Combine(AppContext.BaseDirectory, "scenarios", Guid.NewGuid().ToString("N"));
    private readonly string _checkpoint;

    public DesignTimeBuildTests()
    {
        Directory.CreateDirectory(_directory);
        _checkpoint = Path.Combine(_directory, "model.pth");
        File.Copy(PyTorchFixtures.OfficialPth, _checkpoint);
        File.WriteAllText(Path.Combine(_directory, "Scenario.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <RepVggModel Include="model.pth" ClassName="ScenarioNet" InputHeight="64" InputWidth="64" />
              </ItemGroup>
            </Project>
            """);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Manifest => Path.Combine(_directory, "obj", "Debug", "net10.0", "RepVgg", "ScenarioNet.repvgg.json");

    [Fact]
    public void Before_the_first_build_a_design_time_build_warns_RVG0026_and_does_not_run_the_weights_step()
    {
        (int exitCode, string output) = DesignTimeBuild();

        Assert.True(exitCode == 0, output);
        Assert.Contains("warning RVG0026: RepVggModel 'model.pth' has not been compiled yet, so the editor does not know class ScenarioNet; build the project once", output);
        Assert.DoesNotContain("repvgg-compile:", output);
        Assert.False(File.Exists(Manifest), "A design-time build wrote the manifest: it ran the weights step.");
    }

    [Fact]
    public void After_a_build_a_design_time_build_gives_the_generator_the_manifest_without_rerunning_the_weights_step()
    {
        (int built, string buildOutput) = DotnetCli.Run(_directory, "build", "-nodeReuse:false", "-clp:NoSummary");
        Assert.True(built == 0, buildOutput);
        DateTime compiledAt = File.GetLastWriteTimeUtc(Manifest);
        // Even with the checkpoint newer than the outputs, which a real build would recompile.
        File.SetLastWriteTimeUtc(_checkpoint, DateTime.UtcNow.AddMinutes(1));

        (int exitCode, string output) = DesignTimeBuild();
        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("repvgg-compile:", output);
        Assert.DoesNotContain("RVG0026", output);
        Assert.Equal(compiledAt, File.GetLastWriteTimeUtc(Manifest));

        (int listed, string items) = DesignTimeBuild("-getItem:AdditionalFiles");
        Assert.True(listed == 0, items);
        Assert.Contains(Manifest, items);
    }

    /// <summary>The properties an IDE sets for a design-time build (dotnet/project-system's design-time build docs).</summary>
    private (int ExitCode, string Output) DesignTimeBuild(params string[] extra) =>
        DotnetCli.Run(_directory, ["msbuild", "-restore", "-t:Compile", "-nodeReuse:false",
            "-p:DesignTimeBuild=true", "-p:BuildingProject=false", "-p:BuildProjectReferences=false",
            "-p:SkipCompilerExecution=true", "-p:ProvideCommandLineArgs=true", .. extra]);
}
