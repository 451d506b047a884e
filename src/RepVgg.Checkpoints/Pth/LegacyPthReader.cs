using System.Buffers.Binary;
using System.Numerics;

namespace RepVgg.Checkpoints;

/// <summary>
/// Reads the legacy checkpoint format: what torch.save wrote before PyTorch 1.6, and still writes with
/// <c>_use_new_zipfile_serialization=False</c>. The file is five pickles one after another (torch's magic
/// number, the format version 1001, a dict describing the writer's machine, the saved object, then the
/// sorted list of storage keys) followed by each storage in that order: its element count as a
/// little-endian int64, then its elements. The same <see cref="RestrictedUnpickler"/> reads the pickles;
/// storage persistent ids carry a sixth item, the view metadata, which is None for whole storages.
/// The whole file is read once for the pickles; each storage is read again when its tensors' values are.
/// </summary>
internal static class LegacyPthReader
{
    /// <summary>The first pickle of every legacy torch.save file (torch.serialization.MAGIC_NUMBER).</summary>
    private static readonly BigInteger MagicNumber = BigInteger.Parse("119547037146038801333356");

    /// <summary>torch.serialization.PROTOCOL_VERSION, the second pickle.</summary>
    private const long FormatVersion = 1001;

    /// <summary>Reads the state dict of the legacy checkpoint at <paramref name="path"/>; see <see cref="PthReader.Read"/>.</summary>
    public static StateDict Read(string path, string? stateDictKey)
    {
        byte[] file = ReadWholeFile(path);
        PickleResult magic = RestrictedUnpickler.Load(file, path, "legacy header");
        if (magic.Value is not BigInteger number || number != MagicNumber)
            throw CheckpointException.Unreadable(path,
                $"'{path}' is a bare pickle whose first value is a {RestrictedUnpickler.Describe(magic.Value)}, not torch.save's magic number; " +
                "expected a PyTorch checkpoint (a zip, or the legacy format of torch.save before PyTorch 1.6).");
        PickleResult version = RestrictedUnpickler.Load(file, path, "legacy format version", magic.End);
        if (version.Value is not FormatVersion)
            throw CheckpointException.Unreadable(path,
                $"'{path}' is a legacy torch.save checkpoint of format version {version.Value ?? "None"}; expected {FormatVersion}, the only one PyTorch has written.");
        PickleResult machine = RestrictedUnpickler.Load(file, path, "legacy system info", version.End);
        if (machine.Value is PickleDict info && info.TryGetValue("little_endian", out object? littleEndian) && littleEndian is false)
            throw CheckpointException.Unreadable(path,
                $"'{path}' was saved on a big-endian machine (its system info says little_endian=False); expected a little-endian one. " +
                "Load it with PyTorch on that machine and save it again on a little-endian one.");

        PickleResult main = RestrictedUnpickler.Load(file, path, "legacy checkpoint pickle", machine.End);
        PickleResult keys = RestrictedUnpickler.Load(file, path, "legacy storage list", main.End);
        Dictionary<string, (long Start, long Length)> ranges = StorageRanges(file, keys, main.Storages, path);

        return PthReader.ToStateDict(main, path, stateDictKey, (storage, name) =>
        {
            if (!ranges.TryGetValue(storage.Key, out var range))
                throw CheckpointException.Unreadable(path,
                    $"Tensor '{name}' in '{path}' uses storage '{storage.Key}', which the legacy checkpoint's storage list does not hold; the file is corrupt.", name);
            return StorageBytes.Deferred(range.Length, () => CheckpointReader.ReadRange(path, range.Start, range.Length), path, $"Storage '{storage.Key}'");
        });
    }

    /// <summary>Where each storage's elements lie: the list's keys in order, each an int64 count then the data.</summary>
    private static Dictionary<string, (long Start, long Length)> StorageRanges(byte[] file, PickleResult keys,
        IReadOnlyDictionary<string, StorageReference> storages, string path)
    {
        if (keys.Value is not List<object?> list)
            throw CheckpointException.Unreadable(path,
                $"'{path}' has a {RestrictedUnpickler.Describe(keys.Value)} where the legacy format lists its storage keys; expected a list of strings. The file is corrupt.");
        var ranges = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        long position = keys.End;
        foreach (object? item in list)
        {
            if (item is not string key || !storages.TryGetValue(key, out StorageReference? storage))
                throw CheckpointException.Unreadable(path,
                    $"'{path}' lists the storage {(item is string text ? $"'{text}'" : RestrictedUnpickler.Describe(item))}, which its pickle never declared; the file is corrupt.");
            if (file.Length - position < 8)
                throw Truncated(path, key, position);
            long count = BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan((int)position, 8));
            if (count != storage.ElementCount)
                throw CheckpointException.Unreadable(path,
                    $"Storage '{key}' in '{path}' is declared as {storage.ElementCount} elements of {storage.StorageType} in the pickle, " +
                    $"but its data at byte {position} says {count}; the file is corrupt.");
            position += 8;
            if (count > (file.Length - position) / storage.DType.ElementSize())
                throw Truncated(path, key, position);
            long length = count * storage.DType.ElementSize();
            ranges.Add(key, (position, length));
            position += length;
        }
        return ranges;
    }

    private static CheckpointException Truncated(string path, string key, long position) =>
        CheckpointException.Unreadable(path, $"'{path}' ends at byte {position}, inside storage '{key}' of its legacy storage section; the file is truncated.");

    private static byte[] ReadWholeFile(string path)
    {
        using FileStream stream = CheckpointReader.Open(path);
        if (stream.Length > Array.MaxLength)
            throw CheckpointException.Unreadable(path,
                $"'{path}' is a legacy (pre-1.6) torch.save checkpoint of {stream.Length} bytes; expected at most {Array.MaxLength}. " +
                "Save it again in the zip format: torch.save(torch.load(path), new_path).");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
