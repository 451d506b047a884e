using RepVgg.Checkpoints;

namespace RepVgg.Compiler.Diagnostics;

/// <summary>How bad a diagnostic is: an error fails the build, a warning does not.</summary>
public enum DiagnosticSeverity
{
    Warning,
    Error,
}

/// <summary>
/// One finding of the weights step, with a stable ID from <see cref="RepVgg.Manifest.DiagnosticIds"/>.
/// </summary>
/// <param name="Id">The stable ID, e.g. <c>RVG0004</c>.</param>
/// <param name="Severity">Error or warning.</param>
/// <param name="File">The file concerned (the checkpoint, usually).</param>
/// <param name="Message">A full sentence naming the tensor and saying what was expected and what was found.</param>
/// <remarks>
/// <see cref="File"/> and <see cref="Message"/> are kept on one line of bounded length
/// (<see cref="DiagnosticText.OneLine"/>): both can quote names a checkpoint chose, and a newline in
/// one would forge a line of its own in the build output.
/// </remarks>
public sealed record CompilerDiagnostic(string Id, DiagnosticSeverity Severity, string File, string Message)
{
    public string File { get; init => field = DiagnosticText.OneLine(value); } = DiagnosticText.OneLine(File);

    public string Message { get; init => field = DiagnosticText.OneLine(value); } = DiagnosticText.OneLine(Message);

    public static CompilerDiagnostic Error(string id, string file, string message) =>
        new(id, DiagnosticSeverity.Error, file, message);

    public static CompilerDiagnostic Warning(string id, string file, string message) =>
        new(id, DiagnosticSeverity.Warning, file, message);

    /// <summary>
    /// The line in MSBuild's canonical error format (<c>file : error RVG0004: message</c>), which
    /// MSBuild's Exec task turns into a real build error or warning with this code and file.
    /// </summary>
    public string ToMSBuildLine() =>
        $"{File} : {(Severity == DiagnosticSeverity.Error ? "error" : "warning")} {Id}: {Message}";

    public override string ToString() => ToMSBuildLine();
}

/// <summary>The weights step stopped at an error; <see cref="Diagnostic"/> says which.</summary>
/// <param name="diagnostic">The error.</param>
/// <param name="innerException">What failed, for an unforeseen failure (RVG0022) that a bug report needs whole.</param>
public sealed class CompilationException(CompilerDiagnostic diagnostic, Exception? innerException = null)
    : Exception(diagnostic.Message, innerException)
{
    public CompilerDiagnostic Diagnostic { get; } = diagnostic;
}
