using System.IO.Compression;
using System.Text;

namespace RepVgg.Checkpoints;

/// <summary>
/// Reads PyTorch zip checkpoints (torch.save since PyTorch 1.6, both the 1.x <c>archive/</c> and the
/// 2.x layout): <c>&lt;folder&gt;/data.pkl</c> through <see cref="RestrictedUnpickler"/>, then each storage
/// a state-dict tensor uses from <c>&lt;folder&gt;/data/&lt;key&gt;</c>, once, into one array that every
/// tensor on it views. Storages only other entries use (optimizer state) are never loaded.
/// </summary>
public static class PthReader
{
    /// <summary>Reads the state dict of the checkpoint at <paramref name="path"/>.</summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="stateDictKey">The top-level entry that holds the state dict, or null for <c>state_dict</c>, else <c>model</c>, else the top level.</param>
    /// <exception cref="CheckpointException">
    /// <see cref="CheckpointProblem.ForbiddenGlobal"/> when the state dict's tensors need a global off the allow-list;
    /// <see cref="CheckpointProblem.WholeModule"/> for a pickled module; <see cref="CheckpointProblem.StateDictKeyNotFound"/>
    /// when <paramref name="stateDictKey"/> names no dict; <see cref="CheckpointProblem.Unreadable"/> when the zip,
    /// the pickle or a storage is truncated or corrupt, the file is big-endian, or it holds no tensors.
    /// </exception>
    public static StateDict Read(string path, string? stateDictKey = null)
    {
        try
        {
            using FileStream stream = CheckpointReader.Open(path);
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read);
            ZipArchiveEntry pickleEntry = FindDataPkl(zip, path);
            string folder = pickleEntry.FullName[..^"data.pkl".Length];
            RequireLittleEndian(zip, folder, path);

            PickleResult pickle = RestrictedUnpickler.Load(ReadEntry(pickleEntry, path, RestrictedUnpickler.MaxPickleBytes), path);
            return ToStateDict(pickle, path, stateDictKey, (storage, name) =>
            {
                string entryName = $"{folder}data/{storage.Key}";
                ZipArchiveEntry entry = zip.GetEntry(entryName)
                    ?? throw CheckpointException.Unreadable(path,
                        $"Tensor '{name}' in '{path}' uses storage '{storage.Key}', expected in the zip entry '{entryName}'; the archive has no such entry.", name);
                CheckEntryLength(entry, path, long.MaxValue);
                // Read when a tensor's values are: the archive is opened again then, and the entry checked in full.
                return StorageBytes.Deferred(entry.Length, () => ReadEntry(path, entryName), path, $"Zip entry {DiagnosticText.Quote(entryName)}");
            });
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            // ZipArchive reports a missing central directory, a bad local header or a CRC mismatch this way.
            throw CheckpointException.Unreadable(path,
                $"'{path}' is not a readable zip archive ({e.Message}); expected a PyTorch checkpoint written by torch.save. The file is truncated or corrupt.");
        }
    }

    /// <summary>
    /// The state dict a checkpoint's main pickle holds, each storage a chosen tensor uses given by
    /// <paramref name="openStorage"/> (from the storage and the first tensor that needs it), once, so that
    /// every tensor on it views the same bytes. Storages only other entries use (optimizer state) are never opened.
    /// </summary>
    internal static StateDict ToStateDict(PickleResult pickle, string path, string? stateDictKey, Func<StorageReference, string, StorageBytes> openStorage)
    {
        var (chosen, warnings) = CheckpointWrappers.FindTensors(pickle, path, stateDictKey);
        var storages = new Dictionary<string, StorageBytes>(StringComparer.Ordinal);
        var tensors = new List<CheckpointTensor>();
        foreach (var (name, tensor) in chosen)
        {
            StorageReference storage = tensor.Storage;
            if (!storages.TryGetValue(storage.Key, out StorageBytes? bytes))
            {
                bytes = openStorage(storage, name);
                long declared = storage.ElementCount * storage.DType.ElementSize();
                if (bytes.Length < declared)
                    throw CheckpointException.Unreadable(path,
                        $"Storage '{storage.Key}' of tensor '{name}' in '{path}' is declared as {storage.ElementCount} elements of {storage.StorageType} " +
                        $"({declared} bytes); the file holds {bytes.Length} bytes for it. The file is truncated or corrupt.", name);
                storages.Add(storage.Key, bytes);
            }
            tensors.Add(new CheckpointTensor(path, name, storage.DType, storage.StorageType,
                tensor.Shape, tensor.StorageOffset, tensor.Strides, bytes));
        }
        return new StateDict(path, tensors, warnings);
    }

    /// <summary>The one <c>&lt;folder&gt;/data.pkl</c>; the folder is <c>archive</c> (1.x) or the saved file's stem (2.x).</summary>
    private static ZipArchiveEntry FindDataPkl(ZipArchive zip, string path)
    {
        var candidates = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)
            && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length).ToList();
        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw CheckpointException.Unreadable(path,
                $"'{path}' is a zip archive but holds no '<folder>/data.pkl'; expected a PyTorch checkpoint written by torch.save. " +
                $"Found {Sample(zip.Entries.Select(e => e.FullName))}."),
            _ => throw CheckpointException.Unreadable(path,
                $"'{path}' holds {candidates.Count} pickles ({Sample(candidates.Select(e => e.FullName))}); expected exactly one '<folder>/data.pkl'."),
        };
    }

    /// <summary>PyTorch 2.x records the writer's byte order; older files are always little-endian.</summary>
    private static void RequireLittleEndian(ZipArchive zip, string folder, string path)
    {
        ZipArchiveEntry? entry = zip.GetEntry(folder + "byteorder");
        if (entry is null)
            return;
        string order = Encoding.ASCII.GetString(ReadEntry(entry, path)).Trim();
        if (order != "little")
            throw CheckpointException.Unreadable(path,
                $"'{path}' was saved on a '{order}'-endian machine (its 'byteorder' entry); expected 'little'. " +
                "Load it with PyTorch on that machine and save it again on a little-endian one.");
    }

    /// <summary>
    /// How far an entry may inflate: torch.save stores entries uncompressed, and float weights barely
    /// compress, so an entry declaring more than this many times its compressed size (plus 1 MiB for
    /// small, regular entries) is a decompression bomb, refused before anything is allocated.
    /// </summary>
    private const int MaxInflation = 32;

    /// <summary>
    /// Refuses an entry whose declared length is over <paramref name="maxLength"/> or inflates more than
    /// <see cref="MaxInflation"/>-fold, before anything is allocated for it.
    /// </summary>
    private static void CheckEntryLength(ZipArchiveEntry entry, string path, long maxLength)
    {
        long inflationLimit = entry.CompressedLength * MaxInflation + (1 << 20);
        if (entry.Length > Math.Min(maxLength, Array.MaxLength) || entry.Length > inflationLimit)
            throw CheckpointException.Unreadable(path,
                $"Zip entry {DiagnosticText.Quote(entry.FullName)} in '{path}' declares {entry.Length} bytes " +
                (entry.Length > inflationLimit
                    ? $"from {entry.CompressedLength} compressed; torch.save stores entries uncompressed, and one that inflates more than {MaxInflation}-fold is refused as a decompression bomb."
                    : $"; expected at most {Math.Min(maxLength, Array.MaxLength)}."));
    }

    /// <summary>The entry <paramref name="entryName"/> of the checkpoint at <paramref name="path"/>, opened again for it.</summary>
    private static byte[] ReadEntry(string path, string entryName)
    {
        try
        {
            using FileStream stream = CheckpointReader.Open(path);
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read);
            ZipArchiveEntry entry = zip.GetEntry(entryName)
                ?? throw CheckpointException.Unreadable(path, $"Zip entry {DiagnosticText.Quote(entryName)} of '{path}' is gone; the file changed while it was being read.");
            return ReadEntry(entry, path);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw CheckpointException.Unreadable(path,
                $"Zip entry {DiagnosticText.Quote(entryName)} of '{path}' could not be read ({e.Message}). The file is truncated or corrupt.");
        }
    }

    /// <summary>
    /// One entry, whole, into a fresh array, checked against the CRC-32 the archive records for it.
    /// <paramref name="maxLength"/> bounds it further (the pickle).
    /// </summary>
    private static byte[] ReadEntry(ZipArchiveEntry entry, string path, long maxLength = long.MaxValue)
    {
        CheckEntryLength(entry, path, maxLength);
        var bytes = new byte[entry.Length];
        using (Stream data = entry.Open())
        {
            data.ReadExactly(bytes);
            // The declared length is the archive's word only: data that goes on is a lie as much as data that stops short.
            if (data.ReadByte() >= 0)
                throw CheckpointException.Unreadable(path,
                    $"Zip entry {DiagnosticText.Quote(entry.FullName)} in '{path}' holds more than the {entry.Length} bytes its header declares; the file is corrupt.");
        }
        uint crc = Crc32.Compute(bytes);
        if (crc != entry.Crc32)
            throw CheckpointException.Unreadable(path,
                $"Zip entry {DiagnosticText.Quote(entry.FullName)} in '{path}' has CRC-32 {crc:x8}, but the archive records {entry.Crc32:x8}: its bytes changed after it was written. The file is corrupt.");
        return bytes;
    }

    private static string Sample(IEnumerable<string> names)
    {
        var list = names.Take(6).Select(name => $"'{name}'").ToList();
        return list.Count == 0 ? "no entries" : string.Join(", ", list) + (names.Count() > list.Count ? ", ..." : "");
    }
}
