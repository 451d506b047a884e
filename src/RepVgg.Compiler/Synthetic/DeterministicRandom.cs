namespace RepVgg.Compiler.Synthetic;

/// <summary>
/// SplitMix64: a tiny generator whose sequence for a seed is fixed forever, unlike
/// System.Random whose algorithm may change between runtimes. Synthetic checkpoints must be
/// byte-identical on every machine and every .NET version.
/// </summary>
public sealed class DeterministicRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1), 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [low, high).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Standard normal, by Box-Muller.</summary>
    public double Normal()
    {
        double u = 1.0 - NextDouble(); // (0, 1]: keeps Log finite
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * NextDouble());
    }

    /// <summary><paramref name="count"/> normals scaled by <paramref name="std"/>, rounded to float32 so they survive a float32 checkpoint unchanged.</summary>
    public double[] Normals(int count, double std)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = (float)(Normal() * std);
        return values;
    }
}
