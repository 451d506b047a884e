using System.Diagnostics;

namespace RepVgg.Tool.Tests;

/// <summary>One run of <c>repvgg-compile</c>, the program the build runs, as a separate process (as the build's Exec runs it).</summary>
internal static class RepVggCompileRun
{
    public static (int ExitCode, string Output) Of(params string[] args)
    {
        string program = Path.Combine(AppContext.BaseDirectory, "repvgg-compile.dll");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet, [program, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }
}
