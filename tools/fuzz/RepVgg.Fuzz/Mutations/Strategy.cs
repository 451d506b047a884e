namespace RepVgg.Fuzz.Mutations;

/// <summary>One way of making an input from a seed.</summary>
/// <param name="Name">For reports and per-strategy counts.</param>
/// <param name="Weight">How often it is drawn relative to the others that apply.</param>
/// <param name="AppliesTo">Whether it can mutate this seed.</param>
/// <param name="Mutate">The seed, a scratch file path the writers may use, and the context; returns the input's bytes.</param>
internal sealed record Strategy(string Name, int Weight, Func<Seed, bool> AppliesTo, Func<Seed, string, MutationContext, byte[]> Mutate)
{
    /// <summary>
    /// Structure-aware strategies are drawn more often than raw ones: a random byte in a 1 MB checkpoint
    /// nearly always lands in tensor data, which only changes values.
    /// </summary>
    public static readonly IReadOnlyList<Strategy> All =
    [
        new("pickle", 6, seed => seed.Parts is not null, (seed, scratch, c) => PthMutations.MutatePickle(seed.Parts!, scratch, c)),
        new("legacy-pickle", 3, seed => seed.Format == SeedFormat.LegacyPth, (seed, _, c) => PickleMutations.Mutate(seed.Bytes, c, pickles: 5)),
        new("storage", 3, seed => seed.Parts is not null, (seed, scratch, c) => PthMutations.MutateStorages(seed.Parts!, scratch, c)),
        new("zip-header", 3, seed => seed.Parts is not null, (seed, scratch, c) =>
            PthMutations.MutateZipHeader(c.Random.Next(2) == 0 ? seed.Bytes : PthMutations.Zip(seed.Parts!, scratch, c, deflate: true), c)),
        new("safetensors", 6, seed => seed.Format == SeedFormat.Safetensors, (seed, _, c) => SafetensorsMutations.Mutate(seed.Bytes, c)),
        new("network", 5, seed => seed.Tensors is not null, (seed, scratch, c) => NetworkMutations.Mutate(seed.Tensors!, scratch, c)),
        new("raw", 2, _ => true, (seed, _, c) => RawMutations.Mutate(seed.Bytes, c)),
        new("structured-then-raw", 2, seed => seed.Parts is not null || seed.Format == SeedFormat.Safetensors, (seed, scratch, c) =>
            RawMutations.Mutate(seed.Parts is { } parts ? PthMutations.MutatePickle(parts, scratch, c) : SafetensorsMutations.Mutate(seed.Bytes, c), c)),
    ];
}
