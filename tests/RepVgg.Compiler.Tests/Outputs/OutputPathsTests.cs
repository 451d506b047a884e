using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;
using RepVgg.Compiler.Outputs;

namespace RepVgg.Compiler.Tests.Outputs;

/// <summary>
/// <see cref="OutputPaths.Check"/>: an output that leads to an input or to another output is RVG0031 however it is
/// spelled (relative, through a symbolic link to the file or to a folder, a hard link, not yet existing); distinct
/// files pass; an output that is a folder is RVG0035.
/// </summary>
public sealed class OutputPathsTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly string _input;

    public OutputPathsTests()
    {
        _input = _folder.File("model.pth");
        File.WriteAllBytes(_input, [1, 2, 3]);
    }

    public void Dispose() => _folder.Dispose();

    private void AssertRefused(string output, string expectedId = DiagnosticIds.OutputIsInput)
    {
        var e = Assert.Throws<CompilationException>(() => OutputPaths.Check([new("the checkpoint", _input)], [new("--output", output)]));
        Assert.Equal((expectedId, DiagnosticSeverity.Error, output), (e.Diagnostic.Id, e.Diagnostic.Severity, e.Diagnostic.File));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(_input));
    }

    [Fact]
    public void The_same_path_names_both_options_and_the_path()
    {
        var e = Assert.Throws<CompilationException>(() => OutputPaths.Check([new("the checkpoint", _input)], [new("--output", _input)]));

        Assert.Equal(DiagnosticIds.OutputIsInput, e.Diagnostic.Id);
        Assert.Contains($"--output '{_input}' is the input the checkpoint '{_input}' (both are '{_input}')", e.Diagnostic.Message);
    }

    [Fact]
    public void A_relative_spelling_is_the_same_file()
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(_folder.Path, "sub", "..", "model.pth"));
        AssertRefused(relative);
    }

    [Fact]
    public void A_symbolic_link_to_the_input_is_the_same_file()
    {
        string link = _folder.File("link.pth");
        File.CreateSymbolicLink(link, "model.pth");
        AssertRefused(link);
    }

    [Fact]
    public void A_path_through_a_linked_folder_is_the_same_file()
    {
        string linkedFolder = _folder.File("linked");
        Directory.CreateSymbolicLink(linkedFolder, _folder.Path);
        AssertRefused(Path.Combine(linkedFolder, "model.pth"));
    }

    [Fact]
    public void A_hard_link_to_the_input_is_the_same_file()
    {
        // .NET has no API for hard links; ln makes one (Linux, where device and inode tell them apart).
        string link = _folder.File("hard.pth");
        (int exitCode, string output) = ChildProcess.Run(new System.Diagnostics.ProcessStartInfo("ln", [_input, link]));
        Assert.True(exitCode == 0, output);
        AssertRefused(link);
    }

    [Fact]
    public void Two_outputs_that_do_not_exist_yet_through_a_linked_folder_are_one_file()
    {
        string linkedFolder = _folder.File("linked");
        Directory.CreateSymbolicLink(linkedFolder, _folder.Path);
        string blob = _folder.File("model.bin"), manifest = Path.Combine(linkedFolder, "model.bin");

        var e = Assert.Throws<CompilationException>(() => OutputPaths.Check([new("the checkpoint", _input)], [new("--blob", blob), new("--manifest", manifest)]));

        Assert.Equal(DiagnosticIds.OutputIsInput, e.Diagnostic.Id);
        Assert.Contains($"--manifest '{manifest}' is also the output --blob '{blob}'", e.Diagnostic.Message);
        Assert.False(File.Exists(blob));
    }

    [Fact]
    public void Distinct_files_and_outputs_not_asked_for_pass() =>
        Assert.Null(Record.Exception(() => OutputPaths.Check([new("the checkpoint", _input)],
            [new("--blob", _folder.File("model.bin")), new("--manifest", _folder.File("model.json")), new("--onnx", null)])));

    [Fact]
    public void An_output_that_is_a_folder_is_RVG0035_saying_so()
    {
        string folder = Directory.CreateDirectory(_folder.File("out")).FullName;
        AssertRefused(folder, DiagnosticIds.OutputNotWritten);
    }
}
