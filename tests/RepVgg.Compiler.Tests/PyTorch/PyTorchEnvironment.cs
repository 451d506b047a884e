using System.Diagnostics;

namespace RepVgg.Compiler.Tests.PyTorch;

/// <summary>
/// Finds a Python that imports real PyTorch: Debian's <c>python3-torch</c> lives in the system
/// Python (<c>/usr/bin/python3</c>), which a pyenv or venv <c>python3</c> earlier on the PATH hides.
/// </summary>
internal static class PyTorchEnvironment
{
    private static readonly Lazy<(string? Python, string Detail)> Found = new(Find);

    /// <summary>The interpreter to run, or null when none imports torch.</summary>
    public static string? Python => Found.Value.Python;

    /// <summary>Why the tests that need PyTorch are skipped, or null when they run.</summary>
    public static string? SkipReason => Python is not null || CiEnvironment.IsCi
        ? null
        : $"PyTorch is not installed ({Found.Value.Detail}); install it with: apt-get update && apt-get install -y python3-torch";

    private static (string?, string) Find()
    {
        var tried = new List<string>();
        foreach (string candidate in new[] { "python3", "/usr/bin/python3" })
        {
            (int exitCode, string output) = Run(candidate, "-c \"import torch; print(torch.__version__)\"");
            if (exitCode == 0)
                return (candidate, $"torch {output.Trim()}");
            tried.Add($"{candidate}: {output.Trim().Split('\n').LastOrDefault()}");
        }
        return (null, string.Join("; ", tried));
    }

    /// <summary>Runs a program to completion and returns its exit code and its standard output and error together.</summary>
    public static (int ExitCode, string Output) Run(string program, string arguments, TimeSpan? timeout = null) =>
        ChildProcess.Run(new ProcessStartInfo(program, arguments), timeout ?? TimeSpan.FromMinutes(5));
}

/// <summary>A fact that needs PyTorch: skipped with the install command when it is missing, except under CI=true.</summary>
public sealed class PyTorchFactAttribute : FactAttribute
{
    public PyTorchFactAttribute() => Skip = PyTorchEnvironment.SkipReason;
}

/// <summary>A theory that needs PyTorch; see <see cref="PyTorchFactAttribute"/>.</summary>
public sealed class PyTorchTheoryAttribute : TheoryAttribute
{
    public PyTorchTheoryAttribute() => Skip = PyTorchEnvironment.SkipReason;
}
