using System.Buffers.Binary;

namespace RepVgg.Fuzz.Mutations;

/// <summary>Mutations that know nothing of the format: bit flips, boundary integers, inserted, deleted, repeated and spliced bytes, truncation.</summary>
internal static class RawMutations
{
    public static byte[] Mutate(byte[] file, MutationContext context)
    {
        Random random = context.Random;
        if (file.Length == 0)
            return context.RandomBytes(random.Next(1, 64));
        int at = random.Next(file.Length);
        switch (random.Next(7))
        {
            case 0:
            {
                byte[] output = file.ToArray();
                int flips = 1 + random.Next(8);
                for (int i = 0; i < flips; i++)
                    output[random.Next(output.Length)] ^= (byte)(1 << random.Next(8));
                context.Note($"raw: {flips} bits flipped");
                return output;
            }
            case 1:
            {
                byte[] output = file.ToArray();
                long value = (long)(ulong)(context.InterestingInteger() & ulong.MaxValue); // the low 64 bits, two's complement
                int width = context.Pick(new[] { 1, 2, 4, 8 });
                at = Math.Min(at, Math.Max(0, output.Length - width));
                Span<byte> bytes = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
                bytes[..Math.Min(width, output.Length - at)].CopyTo(output.AsSpan(at));
                context.Note($"raw: {width} bytes at {at} -> {value}");
                return output;
            }
            case 2:
            {
                byte[] inserted = context.RandomBytes(1 + random.Next(16));
                context.Note($"raw: {inserted.Length} random bytes inserted at {at}");
                return [.. file.AsSpan(0, at), .. inserted, .. file.AsSpan(at)];
            }
            case 3:
            {
                int count = Math.Min(file.Length - at, 1 + random.Next(random.Next(2) == 0 ? 16 : 4096));
                context.Note($"raw: {count} bytes deleted at {at}");
                return [.. file.AsSpan(0, at), .. file.AsSpan(at + count)];
            }
            case 4:
            {
                context.Note($"raw: truncated to {at} bytes");
                return file[..at];
            }
            case 5:
            {
                int count = Math.Min(file.Length - at, 1 + random.Next(256));
                int copies = 1 + random.Next(4);
                context.Note($"raw: {count} bytes at {at} repeated {copies} more times");
                var output = new List<byte>(file.AsSpan(0, at + count).ToArray());
                for (int i = 0; i < copies; i++) output.AddRange(file.AsSpan(at, count).ToArray());
                output.AddRange(file.AsSpan(at + count).ToArray());
                return [.. output];
            }
            default:
            {
                Seed other = context.Pick(context.Corpus);
                int from = random.Next(other.Bytes.Length);
                context.Note($"raw: first {at} bytes spliced onto '{other.Name}' from byte {from}");
                return [.. file.AsSpan(0, at), .. other.Bytes.AsSpan(from)];
            }
        }
    }
}
