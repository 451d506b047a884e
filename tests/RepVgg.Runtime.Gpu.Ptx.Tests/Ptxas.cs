using System.Diagnostics;
using System.Text.RegularExpressions;

namespace RepVgg.Runtime.Gpu.Ptx.Tests;

/// <summary>
/// NVIDIA's PTX assembler, <c>ptxas</c>, which turns a kernel's PTX into machine code as the driver does when it loads a
/// kernel, and <c>nvdisasm</c> beside it: with them the tests see what a GPU would run, without a GPU. Debian's
/// <c>nvidia-cuda-toolkit</c> (non-free) carries both; .ci/run unpacks them and names ptxas in <c>REPVGG_PTXAS</c>.
/// </summary>
internal static partial class Ptxas
{
    private static readonly Lazy<string?> Found = new(Find);

    /// <summary>The ptxas to run, or null where there is none.</summary>
    public static string? Path => Found.Value;

    /// <summary>Why the tests that need ptxas are skipped, or null when they run (always under CI=true: .ci/run provides it).</summary>
    public static string? SkipReason => Path is not null || CiEnvironment.IsCi
        ? null
        : "ptxas is not installed; set REPVGG_PTXAS to one, or run .ci/run, which unpacks Debian's nvidia-cuda-toolkit (non-free) for it";

    /// <summary>What ptxas reports for one kernel on one architecture.</summary>
    public sealed record Report(int Registers, int StackFrameBytes, int SpillStoreBytes, int SpillLoadBytes, int SharedBytes, string Cubin);

    /// <summary>Assembles <paramref name="ptx"/> for <paramref name="architecture"/> (e.g. sm_90) and reads its resource report.</summary>
    public static Report Assemble(string ptx, string architecture, string folder)
    {
        string ptxas = Path ?? throw new InvalidOperationException(
            "ptxas is required under CI=true and none was found; .ci/run unpacks it from Debian's nvidia-cuda-toolkit and sets REPVGG_PTXAS.");
        string source = System.IO.Path.Combine(folder, $"kernel.{architecture}.ptx"), cubin = System.IO.Path.ChangeExtension(source, "cubin");
        File.WriteAllText(source, ptx);
        (int exitCode, string output) = ChildProcess.Run(new ProcessStartInfo(ptxas, $"-arch={architecture} -v \"{source}\" -o \"{cubin}\""), TimeSpan.FromMinutes(2));
        Assert.True(exitCode == 0, $"ptxas -arch={architecture} rejected the PTX (exit code {exitCode}):\n{output}");
        Match frame = FrameLine().Match(output), usage = UsageLine().Match(output);
        Assert.True(frame.Success && usage.Success, $"ptxas printed no resource report:\n{output}");
        return new Report(int.Parse(usage.Groups["registers"].Value), int.Parse(frame.Groups["stack"].Value), int.Parse(frame.Groups["stores"].Value),
            int.Parse(frame.Groups["loads"].Value), usage.Groups["shared"].Success ? int.Parse(usage.Groups["shared"].Value) : 0, cubin);
    }

    /// <summary>The machine code of an assembled kernel, as <c>nvdisasm</c> (beside ptxas) prints it.</summary>
    public static string Disassemble(string cubin)
    {
        string nvdisasm = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path!)!, "nvdisasm");
        (int exitCode, string output) = ChildProcess.Run(new ProcessStartInfo(nvdisasm, $"\"{cubin}\""), TimeSpan.FromMinutes(2));
        Assert.True(exitCode == 0, $"nvdisasm failed (exit code {exitCode}):\n{output}");
        return output;
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("REPVGG_PTXAS") is { Length: > 0 } named)
            return File.Exists(named) ? named : throw new FileNotFoundException($"REPVGG_PTXAS names {named}, which does not exist.");
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator)
            .Append("/usr/lib/nvidia-cuda-toolkit/bin")
            .Select(folder => System.IO.Path.Combine(folder, "ptxas"))
            .FirstOrDefault(File.Exists);
    }

    [GeneratedRegex(@"(?<stack>\d+) bytes stack frame, (?<stores>\d+) bytes spill stores, (?<loads>\d+) bytes spill loads")]
    private static partial Regex FrameLine();

    [GeneratedRegex(@"Used (?<registers>\d+) registers(, (?<shared>\d+) bytes smem)?")]
    private static partial Regex UsageLine();
}

/// <summary>A theory that needs ptxas: skipped with how to get it when it is missing, except under CI=true.</summary>
public sealed class PtxasTheoryAttribute : TheoryAttribute
{
    public PtxasTheoryAttribute() => Skip = Ptxas.SkipReason;
}
