using System.Diagnostics;

namespace RepVgg.Integration.Tests;

/// <summary>Runs the <c>dotnet</c> CLI as a user would, in a folder, and collects what it prints.</summary>
internal static class DotnetCli
{
    public static (int ExitCode, string Output) Run(string workingDirectory, params string[] arguments) =>
        RunProgram(workingDirectory, "dotnet", arguments);

    /// <summary>Runs another program the same way (an installed tool, an app).</summary>
    public static (int ExitCode, string Output) RunProgram(string workingDirectory, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The test host's MSBuild variables would point the child build at the test run's MSBuild.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(name);
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd() + error.Result;
        process.WaitForExit();
        return (process.ExitCode, $"$ {program} {string.Join(' ', arguments)}\n{output}");
    }
}

/// <summary>The tests that run `dotnet build` or `dotnet pack` on the repository's projects run one at a time, so two builds never write one obj/ folder at once.</summary>
[CollectionDefinition(Name)]
public sealed class DotnetBuildCollection
{
    public const string Name = "dotnet builds";
}
