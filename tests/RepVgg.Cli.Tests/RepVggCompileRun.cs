using System.Diagnostics;

namespace RepVgg.Cli.Tests;

/// <summary>One run of <c>repvgg-compile</c>, the program the build runs, as a separate process (as the build's Exec runs it).</summary>
internal static class RepVggCompileRun
{
    public static (int ExitCode, string Output) Of(params string[] args) => DotnetRun.Of("repvgg-compile.dll", args);
}

/// <summary>One run of a program built beside the tests, as a separate process under this <c>dotnet</c>.</summary>
internal static class DotnetRun
{
    public static (int ExitCode, string Output) Of(string programDll, params string[] args)
    {
        string program = Path.Combine(AppContext.BaseDirectory, programDll);
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        return ChildProcess.Run(new ProcessStartInfo(dotnet, [program, .. args]));
    }
}
