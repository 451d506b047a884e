using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using RepVgg.Manifest;

namespace RepVgg.Build.Tasks;

/// <summary>
/// Runs one step of a model, <c>dotnet repvgg-compile.dll request &lt;file&gt;</c>, with the request that
/// <see cref="PrepareRepVggModels"/> wrote. The process is started directly, not through a shell (MSBuild's
/// <c>Exec</c> hands its command to <c>/bin/sh</c>, where a file name or metadata value could run commands), and
/// its two arguments are paths the targets chose, quoted for the runtime's argument parser. The step prints its
/// diagnostics as <c>file : error RVG0004: ...</c> lines, which become the build's errors and warnings.
/// </summary>
public sealed class RunRepVggCompile : ToolTask
{
    /// <summary>The weights step, <c>repvgg-compile.dll</c>.</summary>
    [Required]
    public string ToolAssembly { get; set; } = "";

    /// <summary>The request file to run.</summary>
    [Required]
    public string Request { get; set; } = "";

    /// <summary>The <c>dotnet</c> that runs the build (<c>$(DOTNET_HOST_PATH)</c>); <c>dotnet</c> from the PATH when empty.</summary>
    public string DotnetHost { get; set; } = "";

    /// <summary>The file a failure is reported against: the checkpoint, or the snapshot.</summary>
    public string FailureFile { get; set; } = "";

    /// <summary>
    /// What failed, for an error of its own when the step exits with a failure (e.g. "could not compile this
    /// checkpoint"); when empty, that error comes only if the step printed none (a snapshot's differences are
    /// errors enough).
    /// </summary>
    public string FailureText { get; set; } = "";

    /// <inheritdoc/>
    protected override string ToolName => "dotnet";

    // The step's lines of what it did (one per model) are part of a normal build's output.
    /// <inheritdoc/>
    protected override MessageImportance StandardOutputLoggingImportance => MessageImportance.High;

    /// <inheritdoc/>
    protected override string GenerateFullPathToTool() => DotnetHost.Length > 0 ? DotnetHost : ToolName;

    /// <inheritdoc/>
    protected override string GenerateCommandLineCommands() => $"{Argument(ToolAssembly)} request {Argument(Request)}";

    /// <summary>
    /// The step printed its own diagnostics; this adds how to run it again by hand. Only the targets' own paths
    /// are in that command (the request file holds the rest), so it is safe to paste.
    /// </summary>
    protected override bool HandleTaskExecutionErrors()
    {
        if (FailureText.Length > 0 || !Log.HasLoggedErrors)
        {
            Log.LogError(null, DiagnosticIds.WeightsStepFailed, null, FailureFile, 0, 0, 0, 0,
                $"The RepVgg weights step {(FailureText.Length > 0 ? FailureText : "failed")} (exit code {ExitCode}); " +
                $"to rerun it: dotnet {Argument(ToolAssembly)} request {Argument(Request)}");
        }
        return false;
    }

    /// <summary>
    /// One argument quoted for the command-line parser of .NET processes (the same rules as Windows'
    /// <c>CommandLineToArgvW</c>, which the runtime applies on every OS): in double quotes, a double quote escaped
    /// with a backslash, and backslashes doubled where they precede a double quote.
    /// </summary>
    internal static string Argument(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        int backslashes = 0;
        foreach (char c in value)
        {
            if (c == '\\')
            {
                backslashes++;
                continue;
            }
            quoted.Append('\\', c == '"' ? 2 * backslashes + 1 : backslashes).Append(c);
            backslashes = 0;
        }
        return quoted.Append('\\', 2 * backslashes).Append('"').ToString();
    }
}
