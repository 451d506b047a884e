using RepVgg.Checkpoints;
using RepVgg.Compiler.Outputs;

namespace RepVgg.Compiler.Writing;

/// <summary>
/// Writes PyTorch zip checkpoints that torch.load reads: a protocol 2 <c>data.pkl</c> as torch.save
/// writes it and one stored entry per storage. Used for synthetic sample models and for tests,
/// including deliberately broken files through <see cref="WriteArchive"/>.
/// </summary>
public static class PthWriter
{
    // CPython's pickler closes a SETITEMS group every 1000 items; torch.save inherits that.
    private const int SetItemsBatch = 1000;

    /// <summary>
    /// Writes <paramref name="tensors"/> as an OrderedDict state dict, each tensor in its own storage
    /// <c>data/0</c>, <c>data/1</c>, ... holding its <see cref="TensorToWrite.Data"/> exactly.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor's type is <see cref="TensorDType.Other"/>, or an extra entry's value cannot be pickled.</exception>
    public static void Write(string path, IEnumerable<TensorToWrite> tensors, PthOptions? options = null)
    {
        options ??= new PthOptions();
        var pickle = new PickleWriter().Proto();
        var storages = new List<KeyValuePair<string, ReadOnlyMemory<byte>>>();

        // Each item is a key and the code that pickles its value, so both dicts below share one batching rule.
        var stateDictItems = new List<(string Key, Action WriteValue)>();
        foreach (TensorToWrite tensor in tensors)
        {
            int elementSize = tensor.DType.ElementSize();
            if (elementSize == 0)
                throw new ArgumentException($"Expected a PyTorch element type for tensor '{tensor.Name}'; found {tensor.DType}.", nameof(tensors));
            string storageKey = storages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            storages.Add(new(storageKey, tensor.Data));
            stateDictItems.Add((options.KeyPrefix + tensor.Name, () => pickle.TensorRebuild(
                storageKey, tensor.DType, tensor.Data.Length / elementSize, 0, tensor.Shape, CheckpointTensor.ContiguousStrides(tensor.Shape))));
        }
        var extraItems = options.ExtraEntries.Select(entry => (entry.Key, (Action)(() => pickle.Value(entry.Value))));

        if (options.WrapperKey is null)
        {
            pickle.EmptyOrderedDict();
            WriteItems(pickle, stateDictItems.Concat(extraItems));
        }
        else
        {
            pickle.EmptyDict();
            Action writeStateDict = () => WriteItems(pickle.EmptyOrderedDict(), stateDictItems);
            WriteItems(pickle, extraItems.Prepend((options.WrapperKey, writeStateDict)));
        }
        pickle.Stop();

        WriteArchive(path, pickle.ToArray(), storages, options.Format);
    }

    /// <summary>
    /// Writes a checkpoint zip around a caller's <c>data.pkl</c> and storages, in the layout of
    /// <paramref name="format"/>; nothing is checked, so tests can write hostile or truncated files.
    /// </summary>
    /// <param name="path">File to create or replace, atomically (<see cref="AtomicFile"/>).</param>
    /// <param name="dataPkl">The pickle, e.g. from <see cref="PickleWriter"/>.</param>
    /// <param name="storages">Storage key (the entry name under <c>data/</c>) and bytes.</param>
    /// <param name="format">Zip layout generation.</param>
    public static void WriteArchive(string path, ReadOnlyMemory<byte> dataPkl,
        IEnumerable<KeyValuePair<string, ReadOnlyMemory<byte>>> storages, PthFormat format = PthFormat.Torch2)
    {
        // PyTorch 2.x names the archive folder after the file; 1.x always used "archive".
        string folder = format == PthFormat.Torch2 ? Path.GetFileNameWithoutExtension(path) : "archive";
        // Atomically: a checkpoint cut short (a full disk, Ctrl-C) under the final name would fail every later build.
        AtomicFile.Write(path, file =>
        {
            var zip = new StoredZipWriter(file, alignment: format == PthFormat.Torch2 ? 64 : 1);
            zip.Add($"{folder}/data.pkl", dataPkl.Span);
            if (format == PthFormat.Torch2)
            {
                zip.Add($"{folder}/.format_version", "1"u8);
                zip.Add($"{folder}/.storage_alignment", "64"u8);
                zip.Add($"{folder}/byteorder", "little"u8);
            }
            foreach (var (key, data) in storages)
                zip.Add($"{folder}/data/{key}", data.Span);
            zip.Add($"{folder}/version", "3\n"u8);
            zip.Finish();
        });
    }

    /// <summary>Fills the dict on top of the pickle stack the way CPython batches dict items.</summary>
    private static void WriteItems(PickleWriter pickle, IEnumerable<(string Key, Action WriteValue)> items)
    {
        foreach (var batch in items.Chunk(SetItemsBatch))
        {
            if (batch.Length == 1)
            {
                pickle.Value(batch[0].Key);
                batch[0].WriteValue();
                pickle.SetItem();
                continue;
            }
            pickle.Mark();
            foreach (var (key, writeValue) in batch)
            {
                pickle.Value(key);
                writeValue();
            }
            pickle.SetItems();
        }
    }
}
