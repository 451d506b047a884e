using System.IO.Compression;
using RepVgg.Compiler.Writing;

namespace RepVgg.Checkpoints.Tests;

/// <summary>
/// The unpickler on pickles cut short or with bytes flipped: whatever the damage, the reader either
/// reads something or throws <see cref="CheckpointException"/>, never another exception.
/// </summary>
public sealed class DamagedPickleTests
{
    [Fact]
    public void EveryTruncation_IsUnreadable()
    {
        using var folder = new TemporaryFolder();
        var (pickle, storages) = SampleCheckpoint(folder.File("sample.pth"));
        string path = folder.File("cut.pth");

        for (int length = 0; length < pickle.Length; length++)
        {
            PthWriter.WriteArchive(path, pickle.AsMemory(0, length), storages);
            var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));
            Assert.True(error.Problem == CheckpointProblem.Unreadable, $"cut at {length}: {error.Problem}: {error.Message}");
        }
    }

    [Fact]
    public void RandomlyFlippedBytes_OnlyEverThrowCheckpointException()
    {
        using var folder = new TemporaryFolder();
        var (pickle, storages) = SampleCheckpoint(folder.File("sample.pth"));
        string path = folder.File("flipped.pth");
        var random = new Random(20240601);
        int read = 0, refused = 0;

        for (int trial = 0; trial < 1500; trial++)
        {
            byte[] damaged = (byte[])pickle.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
                damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            PthWriter.WriteArchive(path, damaged, storages);
            try
            {
                CheckpointReader.Read(path);
                read++;
            }
            catch (CheckpointException)
            {
                refused++;
            }
        }

        // Both outcomes occur: some flips land in values, most break the structure.
        Assert.True(read > 0 && refused > 0, $"read {read}, refused {refused}");
    }

    /// <summary>A small wrapped checkpoint written by <see cref="PthWriter"/>, taken apart into its pickle and storages.</summary>
    private static (byte[] Pickle, List<KeyValuePair<string, ReadOnlyMemory<byte>>> Storages) SampleCheckpoint(string path)
    {
        PthWriter.Write(path, [
            TensorToWrite.FromFloats("conv.weight", [2, 1, 3, 3], PthRoundTripTests.RandomFloats(seed: 5, count: 18)),
            TensorToWrite.FromFloats("bn.bias", [2], [0.5f, -0.5f], TensorDType.BFloat16),
            TensorToWrite.Int64Scalar("bn.num_batches_tracked", 300),
        ], new PthOptions { WrapperKey = "state_dict", KeyPrefix = "module.", ExtraEntries = [new("epoch", 120), new("lr", 0.1), new("big", 1L << 40)] });

        using ZipArchive zip = ZipFile.OpenRead(path);
        var entries = zip.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var bytes = new MemoryStream();
            using (Stream data = e.Open())
                data.CopyTo(bytes);
            return bytes.ToArray();
        });
        var storages = entries.Where(e => e.Key.StartsWith("sample/data/", StringComparison.Ordinal))
            .Select(e => new KeyValuePair<string, ReadOnlyMemory<byte>>(e.Key["sample/data/".Length..], e.Value))
            .ToList();
        return (entries["sample/data.pkl"], storages);
    }
}
