using RepVgg.Manifest;

namespace RepVgg.Cli.Tests;

/// <summary>
/// RVG0031: a command whose output is one of its inputs, or another of its outputs, is refused before it reads
/// anything, with exit code 1, naming both options and the path; the input is left byte for byte. Every command of
/// <c>repvgg</c> and <c>repvgg-compile</c> that writes a file is tried, on a copy of the fixture (before the check
/// they replaced it).
/// </summary>
public sealed class OutputIsInputTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly string _checkpoint, _images;

    public OutputIsInputTests()
    {
        _checkpoint = _folder.File("model.pth");
        File.Copy(PyTorchFixtures.OfficialPth, _checkpoint);
        _images = _folder.File("images.f32");
        File.Copy(Path.Combine(PyTorchFixtures.Directory, "tiny.x64.f32"), _images);
    }

    public void Dispose() => _folder.Dispose();

    /// <summary>Each command line, with {checkpoint}, {images} and {folder} standing for the files above.</summary>
    public static IEnumerable<object[]> RepvggCommands =>
    [
        ["--output", "fuse {checkpoint} -o {checkpoint}"],
        ["--output", "export-onnx {checkpoint} -o {checkpoint}"],
        ["--blob", "compile {checkpoint} --blob {checkpoint} --manifest {folder}/m.json"],
        ["--onnx", "compile {checkpoint} --blob {folder}/b.bin --manifest {folder}/m.json --onnx {checkpoint}"],
        ["--manifest", "compile {checkpoint} --blob {folder}/same --manifest {folder}/same"],
        ["--output", "verify {checkpoint} --input {images} --input-height 64 --input-width 64 -o {images}"],
    ];

    private string[] Expand(string commandLine) =>
        [.. commandLine.Split(' ').Select(arg => arg.Replace("{checkpoint}", _checkpoint).Replace("{images}", _images).Replace("{folder}", _folder.Path))];

    private void AssertInputsIntact()
    {
        Assert.Equal(File.ReadAllBytes(PyTorchFixtures.OfficialPth), File.ReadAllBytes(_checkpoint));
        Assert.Equal(File.ReadAllBytes(Path.Combine(PyTorchFixtures.Directory, "tiny.x64.f32")), File.ReadAllBytes(_images));
    }

    [Theory]
    [MemberData(nameof(RepvggCommands))]
    public void Repvgg_refuses_an_output_that_is_an_input_or_another_output(string option, string commandLine)
    {
        ToolRun run = ToolRun.Of(Expand(commandLine));

        Assert.True(run.ExitCode == RepVggCommandLine.DiagnosticError, run.ToString());
        Assert.Matches($@": error {DiagnosticIds.OutputIsInput}: {option} '[^']+' is (the input|also the output) ", run.Output);
        Assert.DoesNotContain("fused conv3x3 layers", run.Output); // refused before the checkpoint was read
        AssertInputsIntact();
        Assert.False(File.Exists(_folder.File("same")));
    }

    [Fact]
    public void An_output_through_a_linked_folder_is_the_input()
    {
        string linked = _folder.File("linked");
        Directory.CreateSymbolicLink(linked, _folder.Path);
        string output = Path.Combine(linked, "model.pth");

        ToolRun run = ToolRun.Of("fuse", _checkpoint, "-o", output);

        Assert.True(run.ExitCode == RepVggCommandLine.DiagnosticError, run.ToString());
        Assert.Contains($"{output} : error RVG0031: --output '{output}' is the input the checkpoint '{_checkpoint}' (both are '{_checkpoint}')", run.Output);
        AssertInputsIntact();
    }

    public static IEnumerable<object[]> RepvggCompileCommands =>
    [
        ["--blob", "compile {checkpoint} --blob {checkpoint} --manifest {folder}/m.json"],
        ["--manifest", "compile {checkpoint} --blob {folder}/same --manifest {folder}/same"],
        ["--output", "export-onnx {checkpoint} -o {checkpoint}"],
        ["-o", "probe --manifest {folder}/m.json --blob {checkpoint} --class Tiny -o {checkpoint}"],
    ];

    [Theory]
    [MemberData(nameof(RepvggCompileCommands))]
    public void Repvgg_compile_refuses_an_output_that_is_an_input_or_another_output(string option, string commandLine)
    {
        (int exitCode, string output) = RepVggCompileRun.Of(Expand(commandLine));

        Assert.True(exitCode == 1, output);
        Assert.Matches($@": error {DiagnosticIds.OutputIsInput}: {option} '[^']+' is (the input|also the output) ", output);
        AssertInputsIntact();
        Assert.False(File.Exists(_folder.File("same")));
    }
}
