namespace RepVgg.Compiler.Diagnostics;

/// <summary>How bad a diagnostic is: an error fails the build, a warning does not.</summary>
public enum DiagnosticSeverity
{
    Warning,
    Error,
}

/// <summary>
/// One finding of the weights step, with a stable ID from <see cref="Manifest.DiagnosticIds"/>.
/// </summary>
/// <param name="Id">The stable ID, e.g. <c>RVG0004</c>.</param>
/// <param name="Severity">Error or warning.</param>
/// <param name="File">The file concerned (the checkpoint, usually).</param>
/// <param name="Message">A full sentence naming the tensor and saying what was expected and what was found.</param>
public sealed record CompilerDiagnostic(string Id, DiagnosticSeverity Severity, string File, string Message)
{
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
public sealed class CompilationException(CompilerDiagnostic diagnostic) : Exception(diagnostic.Message)
{
    public CompilerDiagnostic Diagnostic { get; } = diagnostic;
}
