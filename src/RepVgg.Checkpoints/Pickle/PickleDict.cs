namespace RepVgg.Checkpoints;

/// <summary>
/// A Python dict or OrderedDict as the unpickler built it: insertion-ordered, and a repeated key keeps
/// its first position and takes the new value, as in Python. Python's <c>None</c> is a valid key, so
/// it is stored under a stand-in object.
/// </summary>
internal sealed class PickleDict
{
    private static readonly object NoneKey = new();

    private readonly OrderedDictionary<object, object?> _items = new();

    public int Count => _items.Count;

    public IEnumerable<KeyValuePair<object?, object?>> Items =>
        _items.Select(pair => new KeyValuePair<object?, object?>(pair.Key == NoneKey ? null : pair.Key, pair.Value));

    public void Set(object? key, object? value) => _items[key ?? NoneKey] = value;

    public bool TryGetValue(string key, out object? value) => _items.TryGetValue(key, out value);
}
