namespace RepVgg.Integration.Tests;

/// <summary>
/// What a project file or a file name carries cannot run a command, name a file the build writes or reach the C#
/// compiler's command line (issue #23). Each case here ran a shell command, dropped a model, wrote a user's file
/// or added a source file to csc before the targets checked items and stopped using a shell.
/// </summary>
[Collection(ScenarioBuildCollection.Name)]
public sealed class HostileProjectTests : IDisposable
{
    private readonly ScenarioProject _project = new();

    public void Dispose() => _project.Dispose();

    private string[] Pwned => Directory.GetFiles(_project.Directory, "pwned*", SearchOption.AllDirectories);

    [Fact]
    public void Checkpoints_whose_names_hold_shell_syntax_compile_and_run_nothing()
    {
        string backtick = _project.File("resnet`touch pwned1`.pth"), quote = _project.File("q\"uote'd $HOME & touch pwned2.pth");
        ScenarioProject.WriteFixture(backtick);
        ScenarioProject.WriteFixture(quote);
        _project.WriteProject("""
              <ItemGroup>
                <RepVggModel Include="resnet`touch pwned1`.pth" ClassName="Backtick" InputHeight="32" InputWidth="32" Strides="2,2,2,2,2" />
                <RepVggModel Include="q&quot;uote'd $HOME &amp; touch pwned2.pth" ClassName="Quote" InputHeight="32" InputWidth="32" Strides="2,2,2,2,2" />
              </ItemGroup>
            """);

        (int exitCode, string output) = _project.Build();

        Assert.True(exitCode == 0, output);
        Assert.Empty(Pwned);
        Assert.Contains("repvgg-compile: resnet`touch pwned1`.pth -> custom", output);
        Assert.Contains("repvgg-compile: q\"uote'd $HOME & touch pwned2.pth -> custom", output);
        Assert.True(File.Exists(Path.Combine(_project.WeightsStepDirectory, "Backtick.repvgg.json")));
        Assert.True(File.Exists(Path.Combine(_project.WeightsStepDirectory, "Quote.repvgg.json")));
    }

    [Fact]
    public void Metadata_that_would_run_a_command_name_a_file_or_reach_csc_fails_the_build_before_anything_is_written()
    {
        ScenarioProject.WriteFixture(_project.File("model.pth"));
        // A file of the user's that ClassName="../../../model" with ExportOnnx once overwrote.
        File.WriteAllText(_project.File("model.onnx"), "the user's own model");
        _project.WriteProject("""
              <ItemGroup>
                <RepVggModel Include="model.pth" ClassName="X&quot; ; touch pwned3 ; echo &quot;" />
                <RepVggModel Include="model.pth" ClassName="Y`touch pwned4`" />
                <RepVggModel Include="model.pth" ClassName="../../../model" ExportOnnx="true" />
                <RepVggModel Include="model.pth" ClassName="A;B" />
                <RepVggModel Include="model.pth" ClassName="../../../Program.cs&#10;/some/dir/evil.cs&#10;/nowarn:1" />
                <RepVggModel Include="model.pth" ClassName="Net1" Namespace="My&#10;Evil" />
                <RepVggModel Include="model.pth" ClassName="Net2" InputHeight=" 64 " />
              </ItemGroup>
            """);

        (int exitCode, string output) = _project.Build();

        Assert.NotEqual(0, exitCode);
        Assert.Contains("error RVG0015: RepVggModel 'model.pth': ClassName 'X\" ; touch pwned3 ; echo \"' cannot be used: expected a C# identifier", output);
        Assert.Contains("error RVG0015: RepVggModel 'model.pth': ClassName 'Y`touch pwned4`' cannot be used", output);
        Assert.Contains("error RVG0015: RepVggModel 'model.pth': ClassName '../../../model' cannot be used", output);
        Assert.Contains("error RVG0015: RepVggModel 'model.pth': ClassName 'A;B' cannot be used", output);
        Assert.Contains("error RVG0027: RepVggModel 'model.pth': ClassName '../../../Program.cs\\n/some/dir/evil.cs\\n/nowarn:1' holds a control character", output);
        Assert.Contains("error RVG0027: RepVggModel 'model.pth': Namespace 'My\\nEvil' holds a control character", output);
        Assert.Contains("error RVG0011: RepVggModel 'model.pth': InputHeight ' 64 ' is not a positive integer", output);
        Assert.Empty(Pwned);
        Assert.Equal("the user's own model", File.ReadAllText(_project.File("model.onnx")));
        Assert.False(Directory.Exists(_project.WeightsStepDirectory), "The build wrote model files for a project with invalid items.");
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_project.Directory, "*", SearchOption.AllDirectories), path => path.Contains('\n'));
    }

    [Fact]
    public void A_StateDictKey_with_shell_syntax_is_looked_up_as_it_is_written()
    {
        ScenarioProject.WriteFixture(_project.File("model.pth"));
        _project.WriteProject("""
              <ItemGroup>
                <RepVggModel Include="model.pth" ClassName="Net" StateDictKey="`touch pwned5`" />
              </ItemGroup>
            """);

        (int exitCode, string output) = _project.Build();

        Assert.NotEqual(0, exitCode);
        Assert.Contains("error RVG0018:", output);
        Assert.Contains("`touch pwned5`", output);
        Assert.Empty(Pwned);
    }
}
