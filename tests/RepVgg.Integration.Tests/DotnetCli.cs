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
        (int exitCode, string output) = ChildProcess.Run(new ProcessStartInfo(program, arguments) { WorkingDirectory = workingDirectory });
        return (exitCode, $"$ {program} {string.Join(' ', arguments)}\n{output}");
    }
}

/// <summary>The tests that run `dotnet build` or `dotnet pack` on the repository's projects run one at a time, so two builds never write one obj/ folder at once.</summary>
[CollectionDefinition(Name)]
public sealed class DotnetBuildCollection
{
    public const string Name = "dotnet builds";
}

/// <summary>
/// The tests whose builds write only their own <see cref="ScenarioProject"/> folder (<see cref="ScenarioProject.Build"/>
/// does not build the repository's projects) run one at a time beside <see cref="DotnetBuildCollection"/>'s.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ScenarioBuildCollection
{
    public const string Name = "scenario builds";
}
