namespace RepVgg.Checkpoints;

/// <summary>A Python set or frozenset as the unpickler built it; its items are kept but never hashed.</summary>
internal sealed class PickleSet
{
    public List<object?> Items { get; } = [];
}
