using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;

namespace RepVgg.Compiler.Outputs;

/// <summary>
/// Checks a command's output paths before it reads anything: an output that is one of its inputs, or another of its
/// outputs, would be replaced by a file of another kind (<c>fuse a.pth -o a.pth</c>, <c>--blob X --manifest X</c>),
/// and one that names a folder would fail only after all the work.
/// </summary>
public static class OutputPaths
{
    /// <summary>Refuses outputs that are folders, and outputs that lead to an input or to another output.</summary>
    /// <param name="inputs">The files the command reads.</param>
    /// <param name="outputs">The files it writes; those with a null path are not written and not checked.</param>
    /// <exception cref="CompilationException">
    /// RVG0035 for an output that is a folder; RVG0031 for an output that is an input or another output, compared
    /// after resolving full paths and symbolic links (and hard links, on Linux).
    /// </exception>
    public static void Check(IEnumerable<NamedPath> inputs, IEnumerable<NamedPath> outputs)
    {
        var earlier = inputs.Where(input => input.Path is not null).Select(input => (File: input, IsInput: true, Location: FileLocation.Of(input.Path!))).ToList();
        foreach (NamedPath output in outputs.Where(output => output.Path is not null))
        {
            if (Directory.Exists(output.Path))
                throw new CompilationException(CompilerDiagnostic.Error(DiagnosticIds.OutputNotWritten, output.Path!,
                    $"{output.Name} '{output.Path}' is a folder; expected the path of a file to write."));
            FileLocation location = FileLocation.Of(output.Path!);
            foreach ((NamedPath other, bool isInput, FileLocation otherLocation) in earlier)
            {
                if (!location.IsSameFileAs(otherLocation)) continue;
                string same = location.Path == otherLocation.Path ? $"both are '{location.Path}'" : "hard links to one file";
                throw new CompilationException(CompilerDiagnostic.Error(DiagnosticIds.OutputIsInput, output.Path!,
                    $"{output.Name} '{output.Path}' is {(isInput ? "the input" : "also the output")} {other.Name} '{other.Path}' ({same}): " +
                    $"writing it would replace {(isInput ? "the file the command reads" : "the other output")}. " +
                    "Expected an output path that is none of the command's inputs and no other output."));
            }
            earlier.Add((output, false, location));
        }
    }

    /// <summary>
    /// Refuses an output whose folder does not exist, for a command that writes it only after a long run
    /// (<c>repvgg verify -o</c>) and does not create folders.
    /// </summary>
    /// <exception cref="CompilationException">RVG0035 naming the missing folder.</exception>
    public static void RequireFolder(NamedPath output)
    {
        if (output.Path is null) return;
        string folder = Path.GetDirectoryName(Path.GetFullPath(output.Path))!;
        if (!Directory.Exists(folder))
            throw new CompilationException(CompilerDiagnostic.Error(DiagnosticIds.OutputNotWritten, output.Path,
                $"{output.Name} '{output.Path}' is in the folder '{folder}', which does not exist; expected an existing folder to write it in."));
    }
}
