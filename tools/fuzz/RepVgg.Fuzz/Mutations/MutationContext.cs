using System.Numerics;

namespace RepVgg.Fuzz.Mutations;

/// <summary>What a mutation draws from (this iteration's seeded random and the corpus) and where it notes what it did.</summary>
internal sealed class MutationContext(Random random, IReadOnlyList<Seed> corpus)
{
    public Random Random { get; } = random;

    public IReadOnlyList<Seed> Corpus { get; } = corpus;

    /// <summary>One line per edit, written into a finding's report.</summary>
    public List<string> Notes { get; } = [];

    public void Note(string text) => Notes.Add(text);

    public T Pick<T>(IReadOnlyList<T> items) => items[Random.Next(items.Count)];

    /// <summary>
    /// Integers that sit on a boundary of some width or meaning: element counts, offsets and lengths
    /// that overflow int, long or Array.MaxLength, and negative values where only counts make sense.
    /// </summary>
    public static readonly BigInteger[] InterestingIntegers =
    [
        0, 1, 2, 3, 4, 7, 8, 15, 16, 255, 256, 4095, 65535, 65536,
        -1, -2, -128, -32768,
        (1L << 30), (1L << 31) - 1, (1L << 31), -(1L << 31), (1L << 32) - 1, (1L << 32), 0x7FFFFFC7, 0x7FFFFFC8,
        (1L << 40), (1L << 53), long.MaxValue, long.MinValue, long.MaxValue / 4, long.MaxValue / 8 + 1,
        BigInteger.Pow(2, 64) - 1, BigInteger.Pow(2, 64), BigInteger.Pow(2, 100), -BigInteger.Pow(2, 70),
    ];

    /// <summary>A boundary integer most of the time, otherwise a random one of a random width.</summary>
    public BigInteger InterestingInteger() => Random.Next(4) switch
    {
        0 => Random.NextInt64(-1000, 100_000),
        1 => new BigInteger(Random.NextInt64()) * (Random.Next(2) == 0 ? 1 : -1),
        _ => Pick(InterestingIntegers),
    };

    public byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.NextBytes(bytes);
        return bytes;
    }
}
