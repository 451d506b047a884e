namespace RepVgg.Cli.Tests;

/// <summary>One in-process run of the <c>repvgg</c> command line: its exit code and what it wrote.</summary>
internal sealed record ToolRun(int ExitCode, string Output, string Error)
{
    public static ToolRun Of(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = RepVggCommandLine.Run(args, output, error);
        return new ToolRun(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>For assertion messages.</summary>
    public override string ToString() => $"exit code {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}
