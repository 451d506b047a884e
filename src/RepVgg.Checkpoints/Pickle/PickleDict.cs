using System.Numerics;
using System.Runtime.CompilerServices;

namespace RepVgg.Checkpoints;

/// <summary>
/// A Python dict or OrderedDict as the unpickler built it: insertion-ordered, and a repeated key keeps
/// its first position and takes the new value, as in Python. Python's <c>None</c> is a valid key, so
/// it is stored under a stand-in object. The table is created on the first item: a pickle of empty
/// dicts costs little more than the pickle.
/// </summary>
internal sealed class PickleDict
{
    private static readonly object NoneKey = new();

    private OrderedDictionary<object, object?>? _items;

    public int Count => _items?.Count ?? 0;

    public IEnumerable<KeyValuePair<object?, object?>> Items =>
        (_items ?? []).Select(pair => new KeyValuePair<object?, object?>(pair.Key == NoneKey ? null : pair.Key, pair.Value));

    public void Set(object? key, object? value) => (_items ??= new(KeyComparer.Instance))[key ?? NoneKey] = value;

    public bool TryGetValue(string key, out object? value)
    {
        value = null;
        return _items is not null && _items.TryGetValue(key, out value);
    }

    /// <summary>
    /// Equality as .NET's for the values a pickle holds, with hash codes an attacker cannot make collide.
    /// The default ones are fixed functions of the value (a double's is its bits folded to 32), so a
    /// file can pick thousands of keys with one hash code and make every insertion scan them all.
    /// Strings already hash with a per-process random seed; numbers are mixed with one here
    /// (<see cref="HashCode"/> is seeded per process), over all their bits.
    /// </summary>
    private sealed class KeyComparer : IEqualityComparer<object>
    {
        public static readonly KeyComparer Instance = new();

        public new bool Equals(object? x, object? y) => object.Equals(x, y);

        public int GetHashCode(object value) => value switch
        {
            string text => text.GetHashCode(),
            long number => Mix(number),
            double number => Mix(BitConverter.DoubleToInt64Bits(number)),
            BigInteger number => MixBytes(number.ToByteArray()),
            bool flag => flag.GetHashCode(),
            // Tuples, lists, objects: identity, as the unpickler never builds two equal ones from one memo entry.
            _ => RuntimeHelpers.GetHashCode(value),
        };

        private static int Mix(long bits) => HashCode.Combine((int)bits, (int)(bits >> 32));

        private static int MixBytes(byte[] bytes)
        {
            var hash = new HashCode();
            hash.AddBytes(bytes);
            return hash.ToHashCode();
        }
    }
}
