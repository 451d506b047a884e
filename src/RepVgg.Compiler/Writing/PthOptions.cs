namespace RepVgg.Compiler.Writing;

/// <summary>How <see cref="PthWriter"/> lays out a checkpoint; the defaults match <c>torch.save(model.state_dict(), path)</c> on PyTorch 2.x.</summary>
public sealed record PthOptions
{
    /// <summary>Zip layout generation.</summary>
    public PthFormat Format { get; init; } = PthFormat.Torch2;

    /// <summary>
    /// Top-level key the state dict is saved under, as training scripts do (<c>"state_dict"</c>,
    /// <c>"model"</c>); null saves the state dict itself at the top level.
    /// </summary>
    public string? WrapperKey { get; init; }

    /// <summary>Prepended to every tensor name, e.g. <c>"module."</c> as <c>torch.nn.DataParallel</c> does.</summary>
    public string KeyPrefix { get; init; } = "";

    /// <summary>
    /// More top-level entries, after the state dict (or after its tensors when there is no wrapper), such
    /// as <c>("epoch", 120)</c>; values are anything <see cref="PickleWriter.Value"/> accepts.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, object?>> ExtraEntries { get; init; } = [];
}
