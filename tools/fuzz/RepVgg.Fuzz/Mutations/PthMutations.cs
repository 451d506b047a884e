using System.Buffers.Binary;
using System.IO.Compression;
using RepVgg.Checkpoints;
using RepVgg.Compiler.Writing;

namespace RepVgg.Fuzz.Mutations;

/// <summary>
/// Mutations of a zip checkpoint that keep the zip itself valid: edit <c>data.pkl</c> or the storages,
/// then zip again with <see cref="PthWriter.WriteArchive"/> (stored, aligned as torch.save does) or with
/// <see cref="ZipArchive"/> (deflated, which torch.save never writes but a zip tool repacking the file would).
/// </summary>
internal static class PthMutations
{
    public static byte[] MutatePickle(PthParts parts, string scratch, MutationContext context) =>
        Zip(parts with { DataPkl = PickleMutations.Mutate(parts.DataPkl, context) }, scratch, context);

    public static byte[] MutateStorages(PthParts parts, string scratch, MutationContext context)
    {
        Random random = context.Random;
        var storages = parts.Storages.ToList();
        if (storages.Count == 0)
            return Zip(parts, scratch, context);
        int at = random.Next(storages.Count);
        var (key, data) = storages[at];
        switch (random.Next(7))
        {
            case 0:
                int length = random.Next(data.Length + 1);
                storages[at] = new(key, data[..length]);
                context.Note($"storage '{key}': cut from {data.Length} to {length} bytes");
                break;
            case 1:
                // Much longer than the tensors view: harmless stored, a bomb once deflated.
                int extra = context.Pick(new[] { 1, 7, 4096, 1 << 20, 64 << 20 });
                storages[at] = new(key, [.. data, .. new byte[extra]]);
                context.Note($"storage '{key}': {extra} zero bytes appended");
                break;
            case 2:
                byte[] filled = data.ToArray();
                byte[] pattern = context.Pick(FloatPatterns);
                for (int i = 0; i + pattern.Length <= filled.Length; i += pattern.Length * (1 + random.Next(4)))
                    pattern.CopyTo(filled, i);
                storages[at] = new(key, filled);
                context.Note($"storage '{key}': filled with the pattern {Convert.ToHexString(pattern)}");
                break;
            case 3:
                storages.RemoveAt(at);
                context.Note($"storage '{key}': removed");
                break;
            case 4:
                string renamed = context.Pick(new[] { "", "../0", key + "x", "0", "data.pkl", "/" + key });
                storages[at] = new(renamed, data);
                context.Note($"storage '{key}': renamed '{renamed}'");
                break;
            case 5:
                storages.Insert(at, new(key, context.RandomBytes(random.Next(64))));
                context.Note($"storage '{key}': a second entry of that name before it");
                break;
            default:
                byte[] flipped = data.ToArray();
                for (int i = 0, n = 1 + random.Next(8); i < n && flipped.Length > 0; i++)
                    flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                storages[at] = new(key, flipped);
                context.Note($"storage '{key}': bits flipped");
                break;
        }
        return Zip(parts with { Storages = [.. storages] }, scratch, context);
    }

    /// <summary>
    /// Zips stored most of the time; deflated otherwise, sometimes with <c>data.pkl</c> padded after its
    /// STOP by a long run of zeros that deflates a thousandfold (a small file that inflates to a huge pickle).
    /// </summary>
    public static byte[] Zip(PthParts parts, string scratch, MutationContext context, bool? deflate = null)
    {
        if (!(deflate ?? context.Random.Next(4) == 0))
            return SeedCorpus.Zip(scratch, parts);
        byte[] pickle = parts.DataPkl;
        if (context.Random.Next(8) == 0)
        {
            // 128 MB of zeros deflate to about 128 KB: far over the allocation budget for that file (Program.Budget).
            int padding = 128 << 20;
            pickle = [.. pickle, .. new byte[padding]];
            context.Note($"data.pkl padded with {padding} zero bytes");
        }
        context.Note("zipped deflated");
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            string folder = parts.Format == PthFormat.Torch2 ? "fuzz" : "archive";
            Add(zip, $"{folder}/data.pkl", pickle);
            if (parts.Format == PthFormat.Torch2)
                Add(zip, $"{folder}/byteorder", "little"u8.ToArray());
            foreach (var (key, data) in parts.Storages)
                Add(zip, $"{folder}/data/{key}", data);
            Add(zip, $"{folder}/version", "3\n"u8.ToArray());
        }
        return output.ToArray();
    }

    private static void Add(ZipArchive zip, string name, byte[] data)
    {
        using Stream entry = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
        entry.Write(data);
    }

    /// <summary>Elements a float32 or float64 storage should never hold, or that overflow float32 once read.</summary>
    private static readonly byte[][] FloatPatterns =
    [
        BitConverter.GetBytes(float.NaN), BitConverter.GetBytes(float.PositiveInfinity), BitConverter.GetBytes(float.MaxValue),
        BitConverter.GetBytes(-float.Epsilon), BitConverter.GetBytes(double.MaxValue), BitConverter.GetBytes(1e300),
        BitConverter.GetBytes(double.NaN), BitConverter.GetBytes((Half)65504), [0, 0], BitConverter.GetBytes(-1.0f),
    ];

    /// <summary>Rewrites one field of one zip record (local header, central directory entry or end record) in the raw file.</summary>
    public static byte[] MutateZipHeader(byte[] file, MutationContext context)
    {
        var records = new List<(int At, (int Offset, int Width, string Name)[] Fields)>();
        for (int i = 0; i + 4 <= file.Length; i++)
        {
            if (file[i] != 'P' || file[i + 1] != 'K')
                continue;
            uint signature = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(i));
            if (signature == 0x04034b50) records.Add((i, LocalFields));
            else if (signature == 0x02014b50) records.Add((i, CentralFields));
            else if (signature == 0x06054b50) records.Add((i, EndFields));
        }
        if (records.Count == 0)
            return file;
        byte[] output = file.ToArray();
        int edits = 1 + context.Random.Next(2);
        for (int e = 0; e < edits; e++)
        {
            var (at, fields) = context.Pick(records);
            var (offset, width, name) = context.Pick(fields);
            if (at + offset + width > output.Length)
                continue;
            long value = width == 2
                ? context.Pick(new long[] { 0, 1, 8, 12, 0xffff, 0x7fff, 99 })
                : context.Pick(new long[] { 0, 1, 0x7fffffff, 0xffffffff, 0x7FFFFFC7, 1 << 30, file.Length, file.Length + 1, context.Random.Next() });
            if (width == 4 && context.Random.Next(3) == 0)
                value = (BinaryPrimitives.ReadUInt32LittleEndian(output.AsSpan(at + offset)) + context.Random.Next(-64, 65)) & 0xffffffff;
            if (width == 2) BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(at + offset), (ushort)value);
            else BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(at + offset), (uint)value);
            context.Note($"zip: record at byte {at}, field {name} -> {value}");
        }
        return output;
    }

    private static readonly (int, int, string)[] LocalFields =
        [(4, 2, "version"), (6, 2, "flags"), (8, 2, "method"), (14, 4, "crc"), (18, 4, "compressed size"),
         (22, 4, "size"), (26, 2, "name length"), (28, 2, "extra length")];

    private static readonly (int, int, string)[] CentralFields =
        [(6, 2, "version needed"), (8, 2, "flags"), (10, 2, "method"), (16, 4, "crc"), (20, 4, "compressed size"),
         (24, 4, "size"), (28, 2, "name length"), (30, 2, "extra length"), (32, 2, "comment length"), (42, 4, "local header offset")];

    private static readonly (int, int, string)[] EndFields =
        [(4, 2, "disk"), (8, 2, "entries on disk"), (10, 2, "entries"), (12, 4, "directory size"), (16, 4, "directory offset"), (20, 2, "comment length")];
}
