namespace RepVgg.Checkpoints;

/// <summary>What went wrong while reading a checkpoint; the compiler maps each to a diagnostic ID.</summary>
public enum CheckpointProblem
{
    /// <summary>The file does not exist.</summary>
    Missing,
    /// <summary>The file is not a checkpoint we can parse, or it is truncated or corrupt.</summary>
    Unreadable,
    /// <summary>A tensor has an element type we cannot convert to floating point.</summary>
    UnsupportedDType,
    /// <summary>A tensor of the state dict, or the state dict itself, is built by a global outside the allow-list.</summary>
    ForbiddenGlobal,
    /// <summary>The file is a whole pickled <c>torch.nn.Module</c> (<c>torch.save(model)</c>) rather than its state dict.</summary>
    WholeModule,
    /// <summary>The entry the project asked for (<c>StateDictKey</c>) is not in the file, or holds no tensors.</summary>
    StateDictKeyNotFound,
}

/// <summary>
/// A checkpoint could not be read. <see cref="Exception.Message"/> is a complete sentence for the
/// user: it says what was expected and what was found, on one line of bounded length whatever the
/// file's names hold (<see cref="DiagnosticText.OneLine"/>).
/// </summary>
public sealed class CheckpointException(CheckpointProblem problem, string file, string? tensor, string message)
    : Exception(DiagnosticText.OneLine(message))
{
    /// <summary>Which kind of failure this is.</summary>
    public CheckpointProblem Problem { get; } = problem;

    /// <summary>Path of the checkpoint file.</summary>
    public string File { get; } = file;

    /// <summary>The tensor concerned, when there is one.</summary>
    public string? Tensor { get; } = tensor;

    /// <summary>The file cannot be parsed: truncated, corrupt, or not a checkpoint format we read.</summary>
    internal static CheckpointException Unreadable(string file, string message, string? tensor = null) =>
        new(CheckpointProblem.Unreadable, file, tensor, message);
}
