namespace RepVgg.Checkpoints;

/// <summary>
/// A Python global the pickle named. It is a token, never a thing that runs: <see cref="RestrictedUnpickler"/>
/// interprets the few allowed ones itself and turns anything built from the others into an <see cref="InertObject"/>.
/// </summary>
/// <param name="Module">Module, e.g. <c>torch._utils</c>.</param>
/// <param name="Name">Name inside the module, e.g. <c>_rebuild_tensor_v2</c>.</param>
/// <param name="IsAllowed">Whether it is on <see cref="AllowedGlobals"/>' list.</param>
internal sealed record PickleGlobal(string Module, string Name, bool IsAllowed)
{
    /// <summary>Dotted name as Python would print it.</summary>
    public string FullName => $"{Module}.{Name}";
}
