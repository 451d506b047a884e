namespace RepVgg.Checkpoints;

/// <summary>What one pickle built.</summary>
/// <param name="Value">The value its STOP opcode returned.</param>
/// <param name="InertGlobals">Globals off the allow-list that it named, in order of first use; each stands behind <see cref="InertObject"/>s.</param>
/// <param name="Storages">Every storage its persistent ids named, by key, whether or not the state dict uses it.</param>
/// <param name="End">The byte after its STOP opcode, where a legacy checkpoint's next pickle starts.</param>
internal sealed record PickleResult(object? Value, IReadOnlyList<string> InertGlobals,
    IReadOnlyDictionary<string, StorageReference> Storages, int End);
