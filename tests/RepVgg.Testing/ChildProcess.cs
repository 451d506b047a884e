using System.ComponentModel;
using System.Diagnostics;

namespace RepVgg.Testing;

/// <summary>Runs another program to completion, as the tests' dotnet builds, tools and Python scripts are run.</summary>
public static class ChildProcess
{
    /// <summary>
    /// Runs <paramref name="start"/> and returns its exit code with its standard output and error together. A program
    /// that cannot be started gives -1 and why; one still running after <paramref name="timeout"/> (default 10 minutes)
    /// is killed and gives -1.
    /// </summary>
    public static (int ExitCode, string Output) Run(ProcessStartInfo start, TimeSpan? timeout = null)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        // The test host's MSBuild variables would point a child build at the test run's MSBuild.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(name);
        TimeSpan limit = timeout ?? TimeSpan.FromMinutes(10);
        try
        {
            using Process process = Process.Start(start)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(limit))
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"timed out after {limit.TotalSeconds} s");
            }
            return (process.ExitCode, output.Result + error.Result);
        }
        catch (Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
