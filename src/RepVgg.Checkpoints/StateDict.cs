using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace RepVgg.Checkpoints;

/// <summary>
/// The tensors of one checkpoint by name, in the order the file lists them. Readers have already
/// unwrapped <c>{"state_dict": ...}</c> / <c>{"model": ...}</c> and removed the <c>module.</c> prefix
/// that <c>torch.nn.DataParallel</c> adds, so the keys are the model's own parameter names.
/// </summary>
public sealed class StateDict : IReadOnlyDictionary<string, CheckpointTensor>
{
    private const string DataParallelPrefix = "module.";

    private readonly OrderedDictionary<string, CheckpointTensor> _tensors = new(StringComparer.Ordinal);

    /// <summary>Strips <c>module.</c> from every key that has it; two keys that then collide make the file unreadable.</summary>
    internal StateDict(string sourcePath, IEnumerable<CheckpointTensor> tensorsInFileOrder, IReadOnlyList<CheckpointWarning>? warnings = null)
    {
        SourcePath = sourcePath;
        Warnings = warnings ?? [];
        var originalNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (CheckpointTensor tensor in tensorsInFileOrder)
        {
            string name = tensor.Name.StartsWith(DataParallelPrefix, StringComparison.Ordinal)
                ? tensor.Name[DataParallelPrefix.Length..]
                : tensor.Name;
            if (originalNames.TryGetValue(name, out string? earlier))
                throw CheckpointException.Unreadable(sourcePath, earlier == tensor.Name
                    ? $"'{sourcePath}' holds tensor '{earlier}' twice; expected each parameter once."
                    : $"'{sourcePath}' holds both '{earlier}' and '{tensor.Name}', which name the same parameter once " +
                      $"the DataParallel prefix '{DataParallelPrefix}' is removed; expected each parameter once.", name);
            originalNames.Add(name, tensor.Name);
            _tensors.Add(name, name == tensor.Name ? tensor : tensor.WithName(name));
        }
    }

    /// <summary>Path of the file the tensors were read from.</summary>
    public string SourcePath { get; }

    /// <summary>What the reader noticed while choosing these tensors (skipped Python objects, an EMA copy not chosen).</summary>
    public IReadOnlyList<CheckpointWarning> Warnings { get; }

    /// <summary>Number of tensors.</summary>
    public int Count => _tensors.Count;

    /// <summary>Tensor names in file order.</summary>
    public IEnumerable<string> Keys => _tensors.Keys;

    /// <summary>Tensors in file order.</summary>
    public IEnumerable<CheckpointTensor> Values => _tensors.Values;

    /// <summary>The tensor called <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public CheckpointTensor this[string key] => _tensors[key];

    /// <summary>Whether a tensor is called <paramref name="key"/>.</summary>
    public bool ContainsKey(string key) => _tensors.ContainsKey(key);

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out CheckpointTensor value) => _tensors.TryGetValue(key, out value);

    /// <summary>Name and tensor pairs in file order.</summary>
    public IEnumerator<KeyValuePair<string, CheckpointTensor>> GetEnumerator() => _tensors.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
