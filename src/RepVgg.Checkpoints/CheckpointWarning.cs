namespace RepVgg.Checkpoints;

/// <summary>What a reader noticed in a checkpoint it could read; the compiler maps each kind to a diagnostic ID.</summary>
public enum CheckpointWarningKind
{
    /// <summary>Entries beside the state dict hold Python objects that were skipped without being constructed.</summary>
    SkippedObjects,
    /// <summary>An EMA copy of the weights is in the file but another state dict was chosen.</summary>
    UnchosenEma,
}

/// <summary>A warning about a checkpoint that was read; <see cref="Message"/> is a complete sentence for the user.</summary>
/// <param name="Kind">Which kind of warning.</param>
/// <param name="Message">What was found and what to do about it.</param>
public sealed record CheckpointWarning(CheckpointWarningKind Kind, string Message);
