using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;

namespace RepVgg.Compiler.Outputs;

/// <summary>
/// Writes one of the compiler's outputs (the blob, the manifest, the ONNX model): its folder is created, the file is
/// replaced atomically (<see cref="AtomicFile"/>), and a failure is a diagnostic rather than a bare exception.
/// </summary>
public static class OutputFile
{
    /// <summary>Writes <paramref name="path"/> with what <paramref name="write"/> writes.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="what">What the file is, for the message: <c>blob</c>, <c>manifest</c>, <c>ONNX model</c>.</param>
    /// <param name="write">Writes the whole content to the stream.</param>
    /// <exception cref="CompilationException">RVG0035 when the file or its folder cannot be written; the previous file is left as it was.</exception>
    public static void Write(string path, string what, Action<Stream> write)
    {
        // A full disk, a folder without write permission, a folder or a file where the file or its folder should be:
        // the machine's problem, not the checkpoint's, so a diagnostic of its own.
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            AtomicFile.Write(path, write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CompilationException(CompilerDiagnostic.Error(DiagnosticIds.OutputNotWritten, path,
                $"Cannot write the {what} '{path}': {e.Message} Expected a writable folder with room for it."), e);
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte order mark, as <see cref="Write"/> writes bytes.</summary>
    public static void WriteText(string path, string what, string text) =>
        Write(path, what, file => file.Write(System.Text.Encoding.UTF8.GetBytes(text)));
}
