using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using RepVgg.Checkpoints;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Synthetic;
using RepVgg.Compiler.Writing;

namespace RepVgg.Fuzz;

/// <summary>
/// The files every input is mutated from: PyTorch's own fixtures (tests/fixtures/pytorch), a tiny
/// network written by the project's writers in every layout they have, CPython's pickles zipped as
/// checkpoints, and a legacy-format file. Everything here is deterministic, so an input is reproduced
/// from the fuzzer's seed and its iteration alone.
/// </summary>
internal static class SeedCorpus
{
    // Stem 8, one stage of two blocks 8 -> 8 (the second grouped, with identity), 3 classes: every kind
    // of block the reader infers, in a few kilobytes, so an input compiles in well under a millisecond.
    private static readonly RepVggVariant Tiny = new("fuzz-tiny", 8, [2], [8], 2, Classes: 3);

    public static List<Seed> Build(string repositoryRoot, string folder)
    {
        Directory.CreateDirectory(folder);
        var seeds = new List<Seed>();

        string fixtures = Path.Combine(repositoryRoot, "tests", "fixtures", "pytorch");
        foreach (string name in new[] { "tiny_official_train.pth", "tiny_official_train_wrapped.pth", "tiny_timm_train.safetensors" })
        {
            string path = Path.Combine(fixtures, name);
            if (File.Exists(path))
                seeds.Add(FromFile($"fixture {name}", path));
            else
                Console.Error.WriteLine($"fuzz: no fixture {path}; continuing without it.");
        }

        TrainedNetwork official = SyntheticNetwork.Create(Tiny, seed: 7, calibration: null);
        TrainedNetwork timm = SyntheticNetwork.Create(Tiny, seed: 7, calibration: null, KeyLayout.Timm);
        List<TensorToWrite> training = SyntheticCheckpoint.ToTensors(official, deploy: false);
        List<TensorToWrite> deployed = SyntheticCheckpoint.ToTensors(official, deploy: true);
        List<TensorToWrite> timmTraining = SyntheticCheckpoint.ToTensors(timm, deploy: false);

        seeds.Add(WritePth(folder, "tiny-torch2.pth", training, new PthOptions()));
        seeds.Add(WritePth(folder, "tiny-torch1.pth", training, new PthOptions { Format = PthFormat.Torch1 }));
        seeds.Add(WritePth(folder, "tiny-wrapped-module.pth", training, new PthOptions
        {
            WrapperKey = "state_dict",
            KeyPrefix = "module.",
            ExtraEntries = [new("epoch", 120), new("best_acc1", 71.5), new("arch", "RepVGG-tiny")],
        }));
        seeds.Add(WritePth(folder, "tiny-model-torch1.pth", deployed, new PthOptions { Format = PthFormat.Torch1, WrapperKey = "model" }));
        seeds.Add(WritePth(folder, "tiny-timm.pth", timmTraining, new PthOptions()));
        seeds.Add(WriteSafetensors(folder, "tiny-official.safetensors", training));
        seeds.Add(WriteSafetensors(folder, "tiny-deploy.safetensors", deployed));
        seeds.Add(WriteSafetensors(folder, "tiny-timm-f16.safetensors",
            timmTraining.Select(t => t.DType == TensorDType.Float32 ? ToFloat16(t) : t).ToList()));

        string pickles = Path.Combine(repositoryRoot, "tests", "RepVgg.Checkpoints.Tests", "Pickles");
        foreach (string pickle in Directory.Exists(pickles) ? Directory.GetFiles(pickles, "*.pkl").Order(StringComparer.Ordinal).ToArray() : [])
            seeds.Add(WrapPythonPickle(folder, pickle));

        seeds.Add(WriteLegacy(folder, "tiny-legacy.pth", training));
        return seeds;
    }

    private static Seed FromFile(string name, string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        return path.EndsWith(".safetensors", StringComparison.Ordinal)
            ? new Seed(name, SeedFormat.Safetensors, bytes, null)
            : new Seed(name, SeedFormat.Pth, bytes, ReadParts(bytes));
    }

    private static Seed WritePth(string folder, string name, List<TensorToWrite> tensors, PthOptions options)
    {
        string path = Path.Combine(folder, name);
        PthWriter.Write(path, tensors, options);
        byte[] bytes = File.ReadAllBytes(path);
        return new Seed(name, SeedFormat.Pth, bytes, ReadParts(bytes)) { Tensors = tensors };
    }

    private static Seed WriteSafetensors(string folder, string name, List<TensorToWrite> tensors)
    {
        string path = Path.Combine(folder, name);
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        return new Seed(name, SeedFormat.Safetensors, File.ReadAllBytes(path), null) { Tensors = tensors };
    }

    /// <summary>A CPython pickle with the storages PythonPickleTests gives it (storage 3, the optimizer's, left out).</summary>
    private static Seed WrapPythonPickle(string folder, string picklePath)
    {
        var storages = new KeyValuePair<string, byte[]>[]
        {
            new("0", TensorToWrite.FromFloats("s", [6], [0f, 1f, 2f, 3f, 4f, 5f]).Data.ToArray()),
            new("1", TensorToWrite.FromFloats("s", [3], [0.5f, 1f, 2f], TensorDType.Float16).Data.ToArray()),
            new("2", TensorToWrite.Int64Scalar("s", 7).Data.ToArray()),
        };
        var parts = new PthParts(File.ReadAllBytes(picklePath), storages, PthFormat.Torch2);
        string name = "python-" + Path.GetFileNameWithoutExtension(picklePath) + ".pth";
        return new Seed(name, SeedFormat.Pth, Zip(Path.Combine(folder, name), parts), parts);
    }

    /// <summary>Writes <paramref name="parts"/> as a checkpoint with stored entries and returns the file.</summary>
    public static byte[] Zip(string path, PthParts parts)
    {
        PthWriter.WriteArchive(path, parts.DataPkl, parts.Storages.Select(s => new KeyValuePair<string, ReadOnlyMemory<byte>>(s.Key, s.Value)), parts.Format);
        return File.ReadAllBytes(path);
    }

    /// <summary>The data.pkl and storages of a zip checkpoint, or null when it has no single data.pkl.</summary>
    private static PthParts? ReadParts(byte[] file)
    {
        using var zip = new ZipArchive(new MemoryStream(file), ZipArchiveMode.Read);
        ZipArchiveEntry? pickle = zip.Entries.SingleOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal));
        if (pickle is null)
            return null;
        string folder = pickle.FullName[..^"data.pkl".Length];
        var storages = zip.Entries
            .Where(e => e.FullName.StartsWith(folder + "data/", StringComparison.Ordinal))
            .Select(e => new KeyValuePair<string, byte[]>(e.FullName[(folder.Length + 5)..], ReadAll(e)))
            .ToArray();
        PthFormat format = zip.GetEntry(folder + "byteorder") is null ? PthFormat.Torch1 : PthFormat.Torch2;
        return new PthParts(ReadAll(pickle), storages, format);
    }

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using Stream stream = entry.Open();
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static TensorToWrite ToFloat16(TensorToWrite tensor)
    {
        float[] values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.Data.Span).ToArray();
        return TensorToWrite.FromFloats(tensor.Name, tensor.Shape, values, TensorDType.Float16);
    }

    /// <summary>
    /// The legacy format as torch.save wrote it before PyTorch 1.6 (torch/serialization.py, <c>_legacy_save</c>):
    /// the magic number, the format version 1001, the system info dict, the state dict whose storage
    /// persistent ids carry a sixth item (view metadata, None), the sorted list of storage keys, then each
    /// storage as an int64 element count and its bytes.
    /// </summary>
    private static Seed WriteLegacy(string folder, string name, List<TensorToWrite> tensors)
    {
        var file = new MemoryStream();
        file.Write(new PickleWriter().Proto().Value(BigInteger.Parse("119547037146038801333356")).Stop().ToArray());
        file.Write(new PickleWriter().Proto().Value(1001).Stop().ToArray());
        var info = new PickleWriter().Proto().EmptyDict().Mark()
            .Value("protocol_version").Value(1001).Value("little_endian").Value(true)
            .Value("type_sizes").EmptyDict().Mark().Value("short").Value(2).Value("int").Value(4).Value("long").Value(4).SetItems()
            .SetItems().Stop();
        file.Write(info.ToArray());

        var main = new PickleWriter().Proto().EmptyOrderedDict().Mark();
        var keys = new List<string>();
        foreach (TensorToWrite tensor in tensors)
        {
            string key = (94000000 + keys.Count).ToString(System.Globalization.CultureInfo.InvariantCulture);
            keys.Add(key);
            int elementSize = tensor.DType.ElementSize();
            main.Value(tensor.Name).Global("torch._utils", "_rebuild_tensor_v2").Mark()
                .Mark().Value("storage").Global("torch", StorageTypeName(tensor.DType)).Value(key).Value("cpu")
                .Value(tensor.Data.Length / elementSize).Value(null).Tuple().PersistentId()
                .Value(0);
            main.Mark();
            foreach (int size in tensor.Shape) main.Value(size);
            main.Tuple().Mark();
            foreach (long stride in CheckpointTensor.ContiguousStrides(tensor.Shape)) main.Value(stride);
            main.Tuple().Value(false).EmptyOrderedDict().Tuple().Reduce();
        }
        file.Write(main.SetItems().Stop().ToArray());

        keys.Sort(StringComparer.Ordinal);
        var list = new PickleWriter().Proto().EmptyList().Mark();
        foreach (string key in keys) list.Value(key);
        file.Write(list.Appends().Stop().ToArray());

        Span<byte> count = stackalloc byte[8];
        foreach (string key in keys)
        {
            TensorToWrite tensor = tensors[int.Parse(key, System.Globalization.CultureInfo.InvariantCulture) - 94000000];
            BinaryPrimitives.WriteInt64LittleEndian(count, tensor.Data.Length / tensor.DType.ElementSize());
            file.Write(count);
            file.Write(tensor.Data.Span);
        }
        byte[] bytes = file.ToArray();
        File.WriteAllBytes(Path.Combine(folder, name), bytes);
        return new Seed(name, SeedFormat.LegacyPth, bytes, null);
    }

    private static string StorageTypeName(TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => "FloatStorage",
        TensorDType.Float16 => "HalfStorage",
        TensorDType.Float64 => "DoubleStorage",
        TensorDType.Int64 => "LongStorage",
        _ => throw new ArgumentException($"No legacy storage class for {dtype} in the fuzzer's seeds.", nameof(dtype)),
    };
}
