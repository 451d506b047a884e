namespace RepVgg.Checkpoints;

/// <summary>
/// What a pickle builds from a global off the allow-list: a placeholder that records which global it
/// stands for and never becomes the object. Training checkpoints hold such objects beside the weights
/// (an <c>argparse.Namespace</c>, an optimizer's scheduler with a bound method, custom classes); reading
/// them inert lets the reader skip them, and a tensor that depends on one is refused.
/// </summary>
/// <param name="Global">The global that was called or constructed, or that a value was derived from.</param>
internal sealed class InertObject(PickleGlobal global)
{
    public PickleGlobal Global { get; } = global;

    /// <summary>The value BUILD gave it (an object's <c>__dict__</c>), kept only to recognise a pickled module.</summary>
    public object? State { get; set; }

    /// <summary>
    /// Whether this is a <c>torch.nn.Module</c>, as <c>torch.save(model)</c> writes one: every module's
    /// <c>__dict__</c> holds <c>_parameters</c> and <c>_modules</c>.
    /// </summary>
    public bool IsModule => State is PickleDict state && state.TryGetValue("_parameters", out _) && state.TryGetValue("_modules", out _);

    /// <summary>
    /// What <paramref name="value"/> stands for when it is off the allow-list: an inert object, or a bare
    /// global that is not allowed (it names the same class); null for anything the reader understands.
    /// </summary>
    public static InertObject? Of(object? value) => value switch
    {
        InertObject inert => inert,
        PickleGlobal { IsAllowed: false } global => new InertObject(global),
        _ => null,
    };
}
