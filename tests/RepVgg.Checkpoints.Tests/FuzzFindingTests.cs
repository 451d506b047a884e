using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using RepVgg.Compiler.Writing;

namespace RepVgg.Checkpoints.Tests;

/// <summary>
/// One test per defect the fuzzer (tools/fuzz) found, each on the smallest input that shows it, built
/// here: reading must end in a <see cref="CheckpointException"/> (or, where the file is valid, in its
/// tensors) within a time and an allocation bound, never in another exception, a hang or a huge array.
/// </summary>
public sealed class FuzzFindingTests : IDisposable
{
    /// <summary>
    /// No input here needs more than a few kilobytes of working memory to be read or refused; 64 MB is the
    /// fuzzer's fixed allowance and far below what each defect allocated (128 MB to 2 GB).
    /// </summary>
    private const long AllocationBound = 64L << 20;

    /// <summary>Each input is read in milliseconds once fixed; far longer means the defect (or a new one) is back.</summary>
    private static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(10);

    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Found as IndexOutOfRangeException in CheckpointTensor.BytesNeeded (fuzz seed 1, iteration 1400).</summary>
    [Fact]
    public void StrideTupleShorterThanSize_IsUnreadable()
    {
        string path = _folder.File("short_stride.pth");
        byte[] pickle = new PickleWriter().Proto().EmptyOrderedDict()
            .Value("w").TensorRebuild("0", TensorDType.Float32, 6, 0, [2, 3], [1]).SetItem()
            .Stop().ToArray();
        PthWriter.WriteArchive(path, pickle, [new("0", new byte[24])]);

        CheckpointException error = ReadFails(path);

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Contains("stride", error.Message);
    }

    /// <summary>Found as InvalidOperationException from JsonDocument.GetString in SafetensorsReader.ParseHeader (fuzz seed 1, iteration 2631).</summary>
    [Fact]
    public void SafetensorsTensorNameThatIsNotUtf8_IsUnreadable()
    {
        string path = WriteSafetensors([.. "{\""u8, 0xff, 0xfe, .. "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"u8], data: 4);

        CheckpointException error = ReadFails(path);

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Contains("UTF-8", error.Message);
    }

    /// <summary>The same defect through the dtype string, which the reader also decodes.</summary>
    [Fact]
    public void SafetensorsDTypeThatIsNotUtf8_IsUnreadable()
    {
        string path = WriteSafetensors([.. "{\"w\":{\"dtype\":\"F3"u8, 0xc3, 0x28, .. "\",\"shape\":[1],\"data_offsets\":[0,4]}}"u8], data: 4);

        CheckpointException error = ReadFails(path);

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
    }

    /// <summary>
    /// Found as a 1 GB allocation, and at 2 GB as OutOfMemoryException, in PthReader.ReadEntry (fuzz seed 1,
    /// iterations 2972 and 2394): a stored storage entry whose central-directory size says 1 GiB in a file of
    /// a few hundred bytes. The reader allocated the declared size before reading a byte; a stored entry
    /// cannot be larger than the file, and no entry should be trusted for more than it can deliver.
    /// </summary>
    [Fact]
    public void ZipEntryDeclaringMoreBytesThanTheFileHolds_IsRefusedWithoutAllocatingThem()
    {
        string path = _folder.File("lying_size.pth");
        PthWriter.Write(path, [TensorToWrite.FromFloats("w", [4], [1f, 2f, 3f, 4f])], new PthOptions { Format = PthFormat.Torch1 });
        byte[] file = File.ReadAllBytes(path);
        int record = CentralDirectoryRecord(file, "archive/data/0");
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(record + 24), 1u << 30); // uncompressed size
        File.WriteAllBytes(path, file);

        CheckpointException error = ReadFails(path);

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
    }

    /// <summary>
    /// Found as a 128 MB allocation from a 130 KB file (fuzz seed 2): data.pkl deflated, with 128 MB of
    /// zeros after its STOP. Whether such a file is refused or read, reading it must not inflate it whole.
    /// </summary>
    [Fact]
    public void DeflatedDataPklBomb_IsNotInflatedWhole()
    {
        string path = _folder.File("bomb.pth");
        byte[] pickle = new PickleWriter().Proto().EmptyOrderedDict()
            .Value("w").TensorRebuild("0", TensorDType.Float32, 4, 0, [4], [1]).SetItem()
            .Stop().ToArray();
        using (var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create))
        {
            using (Stream entry = zip.CreateEntry("archive/data.pkl", CompressionLevel.SmallestSize).Open())
            {
                entry.Write(pickle);
                var zeros = new byte[1 << 20];
                for (int i = 0; i < 128; i++) entry.Write(zeros);
            }
            using (Stream entry = zip.CreateEntry("archive/data/0", CompressionLevel.NoCompression).Open())
                entry.Write(new byte[16]);
        }
        Assert.True(new FileInfo(path).Length < 1 << 20, "test bug: the bomb should be small on disk");

        Exception? error = ReadWithinBounds(path);

        Assert.True(error is null or CheckpointException, $"Expected the tensors or a CheckpointException; got {error}");
    }

    /// <summary>
    /// Found as ArgumentException ("An item with the same key has already been added") from
    /// LegacyPthReader.StorageRanges, which the weights step reported as RVG0022 (fuzz seed 3, iteration 5000):
    /// a legacy file whose storage list names one storage twice.
    /// </summary>
    [Fact]
    public void LegacyStorageListNamingAStorageTwice_IsUnreadable()
    {
        string path = _folder.File("legacy_twice.pth");
        var file = new MemoryStream();
        file.Write(new PickleWriter().Proto().Value(System.Numerics.BigInteger.Parse("119547037146038801333356")).Stop().ToArray());
        file.Write(new PickleWriter().Proto().Value(1001).Stop().ToArray());
        file.Write(new PickleWriter().Proto().EmptyDict().Value("little_endian").Value(true).SetItem().Stop().ToArray());
        // The legacy persistent id has a sixth item, the view metadata: None for a whole storage.
        file.Write(new PickleWriter().Proto().EmptyOrderedDict().Value("w")
            .Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Value("storage").Global("torch", "FloatStorage").Value("0").Value("cpu").Value(2).Value(null).Tuple().PersistentId()
            .Value(0).Mark().Value(2).Tuple().Mark().Value(1).Tuple().Value(false).EmptyOrderedDict().Tuple().Reduce()
            .SetItem().Stop().ToArray());
        file.Write(new PickleWriter().Proto().EmptyList().Mark().Value("0").Value("0").Appends().Stop().ToArray());
        for (int i = 0; i < 2; i++)
        {
            file.Write(BitConverter.GetBytes(2L));
            file.Write(new byte[8]);
        }
        File.WriteAllBytes(path, file.ToArray());

        CheckpointException error = ReadFails(path);

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Contains("'0'", error.Message);
    }

    private string WriteSafetensors(byte[] header, int data)
    {
        string path = _folder.File($"fuzz-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, HandWrittenSafetensors.Bytes(header, data));
        return path;
    }

    /// <summary>Where the central directory describes <paramref name="name"/>.</summary>
    private static int CentralDirectoryRecord(byte[] zip, string name)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        for (int at = 0; at + 46 <= zip.Length; at++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(at)) == 0x02014b50
                && zip.AsSpan(at + 46).StartsWith(nameBytes) && BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 28)) == nameBytes.Length)
                return at;
        }
        throw new InvalidOperationException($"test bug: no central directory record for {name}");
    }

    private static CheckpointException ReadFails(string path)
    {
        Exception? error = ReadWithinBounds(path);
        var checkpoint = Assert.IsType<CheckpointException>(error);
        Assert.Equal(path, checkpoint.File);
        Assert.Contains(path, checkpoint.Message);
        return checkpoint;
    }

    /// <summary>
    /// Reads the file and every tensor's values on a thread of its own, failing if that takes longer than
    /// <see cref="TimeBound"/> or allocates more than <see cref="AllocationBound"/>; returns what it threw.
    /// </summary>
    private static Exception? ReadWithinBounds(string path)
    {
        Exception? error = null;
        long allocated = 0;
        var reader = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                foreach (CheckpointTensor tensor in CheckpointReader.Read(path).Values)
                {
                    if (tensor.DType.IsFloatingPoint())
                        tensor.ToDoubleArray();
                }
            }
            catch (Exception e)
            {
                error = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        })
        { IsBackground = true };
        var clock = Stopwatch.StartNew();
        reader.Start();
        Assert.True(reader.Join(TimeBound), $"Reading '{path}' was still running after {TimeBound.TotalSeconds} s.");
        Assert.True(allocated <= AllocationBound,
            $"Reading '{path}' ({new FileInfo(path).Length} bytes) allocated {allocated:N0} bytes in {clock.ElapsedMilliseconds} ms; expected at most {AllocationBound:N0}. It ended in: {error?.Message ?? "success"}");
        return error;
    }
}
