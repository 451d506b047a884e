using System.Diagnostics;
using System.IO.Compression;
using System.Numerics;
using RepVgg.Compiler.Writing;

namespace RepVgg.Checkpoints.Tests;

/// <summary>
/// Small files built to cost a reader much memory or time, or to make it say something wrong: each
/// must end in a clear <see cref="CheckpointException"/> (or a correct read) within a fixed budget of
/// time and allocated memory. docs/hostile-files.md lists these.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(10);
    private const long SixtyFourMegabytes = 64L << 20;

    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void DeflatedPickleBomb_IsRefusedBeforeInflating()
    {
        // 100 MB of EMPTY_DICT, POP deflates to about 100 KB; unpickled it would build 50 million dicts.
        var pickle = new byte[100 << 20];
        for (int i = 0; i < pickle.Length - 1; i += 2) (pickle[i], pickle[i + 1]) = ((byte)'}', (byte)'0');
        string path = WriteDeflatedArchive(("archive/data.pkl", pickle));

        CheckpointException error = Refused(path);

        Assert.Contains("declares 104857600 bytes", error.Message);
    }

    [Fact]
    public void DeflatedStorageFarLargerThanItsTensors_IsRefusedAsABomb()
    {
        // A one-element tensor on a storage that declares 64 MiB of zeros: about 64 KB deflated.
        var pickle = new PickleWriter().Proto().EmptyOrderedDict().Mark()
            .Value("w").TensorRebuild("0", TensorDType.Float32, 16 << 20, 0, [1], [1]).SetItems().Stop().ToArray();
        string path = WriteDeflatedArchive(("archive/data.pkl", pickle), ("archive/data/0", new byte[64 << 20]));

        CheckpointException error = Refused(path);

        Assert.Contains("decompression bomb", error.Message);
        Assert.Contains("archive/data/0", error.Message);
    }

    [Fact]
    public void DeflatedButOrdinaryCheckpoint_IsRead()
    {
        // Someone unzipped a checkpoint and zipped it again: deflated, but nothing like a bomb.
        var pickle = new PickleWriter().Proto().EmptyOrderedDict().Mark()
            .Value("w").TensorRebuild("0", TensorDType.Float32, 3, 0, [3], [1]).SetItems().Stop().ToArray();
        string path = WriteDeflatedArchive(("archive/data.pkl", pickle), ("archive/data/0", TensorToWrite.FromFloats("w", [3], [1f, 2f, 3f]).Data.ToArray()));

        StateDict state = CheckpointReader.Read(path);

        Assert.Equal([1.0, 2, 3], state["w"].ToDoubleArray());
    }

    [Fact]
    public void StrideZeroView_IsRefusedWithoutMaterialisingIt()
    {
        // What t.expand(2**30) saves: one float viewed 2**30 times, 8 GB as doubles.
        string path = WriteTensor(storageElements: 1, shape: [1 << 30], strides: [0], storageBytes: 4);

        CheckpointException error = Refused(path);

        Assert.Contains("stride-0", error.Message);
        Assert.Contains("t.contiguous()", error.Message);
    }

    [Fact]
    public void DictKeysWithCollidingHashCodes_AreReadInLinearTime()
    {
        // 100,000 float keys whose default .NET hash codes are all equal: (low 32 bits) ^ (high 32 bits) = 0.
        var pickle = new PickleWriter().Proto().EmptyDict().Mark();
        for (long i = 0; i < 100_000; i++)
        {
            long high = 0x40000000 + i;
            pickle.Value(BitConverter.Int64BitsToDouble((high << 32) | high)).Value(i);
        }
        string path = Archive(pickle.SetItems().Stop());

        CheckpointException error = Refused(path, TimeSpan.FromSeconds(5));

        Assert.Contains("holds no tensors", error.Message);
    }

    [Fact]
    public void PickleWithoutStop_IsRefusedAtItsBound()
    {
        // A pickle that runs on (a memo index far past its length was once called "a length" too).
        var pickle = new MemoryStream();
        pickle.Write(new PickleWriter().Proto().EmptyList().ToArray());
        for (int i = 0; i < 600_000; i++) pickle.Write("r\x40\x42\x0f\x00"u8); // LONG_BINPUT 1,000,000
        PthWriter.WriteArchive(_folder.File("long.pth"), pickle.ToArray(), []);
        string path = _folder.File("long.pth");

        CheckpointException error = Refused(path);

        Assert.Contains("ends at byte", error.Message);
        Assert.DoesNotContain("length", error.Message);
    }

    [Fact]
    public void MemoIndexBeyondThePickleLength_IsAnIndexNotALength()
    {
        var pickle = new MemoryStream();
        pickle.Write(new PickleWriter().Proto().EmptyOrderedDict().ToArray());
        pickle.Write("r\x40\x42\x0f\x00"u8); // LONG_BINPUT 1,000,000
        pickle.Write("j\x40\x42\x0f\x00"u8); // LONG_BINGET 1,000,000
        pickle.Write("0."u8);                // POP, STOP: the OrderedDict, empty
        string path = _folder.File("memo.pth");
        PthWriter.WriteArchive(path, pickle.ToArray(), []);

        CheckpointException error = Refused(path);

        Assert.Contains("holds no tensors", error.Message);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(8, false)]
    [InlineData(0, true)]
    [InlineData(4, true)]
    public void SmallIntegersWrittenAsLong1OrLong4_AreRead(int byteCount, bool long4)
    {
        // A storage offset of 0 in LONG1/LONG4 spelling, which PyTorch reads like any int.
        var pickle = new PickleWriter().Proto().EmptyOrderedDict().Mark().Value("w")
            .Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Value("storage").Global("torch", "FloatStorage").Value("0").Value("cpu").Value(1).Tuple().PersistentId()
            .Long(BigInteger.Zero, byteCount, long4)
            .Mark().Value(1).Tuple().Mark().Value(1).Tuple().Value(false).EmptyOrderedDict().Tuple().Reduce()
            .SetItems().Stop();
        string path = _folder.File("long.pth");
        PthWriter.WriteArchive(path, pickle.ToArray(), [new("0", BitConverter.GetBytes(2.5f))]);

        Assert.Equal(2.5, CheckpointReader.Read(path)["w"].ToDoubleArray().Single());
    }

    [Fact]
    public void HugeOffsetWrittenAsLong1_SaysItsSizeNotJustInt()
    {
        var pickle = new PickleWriter().Proto().EmptyOrderedDict().Mark().Value("w")
            .Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Value("storage").Global("torch", "FloatStorage").Value("0").Value("cpu").Value(1).Tuple().PersistentId()
            .Long(BigInteger.One << 70, 9)
            .Mark().Value(1).Tuple().Mark().Value(1).Tuple().Value(false).EmptyOrderedDict().Tuple().Reduce()
            .SetItems().Stop();
        string path = _folder.File("huge.pth");
        PthWriter.WriteArchive(path, pickle.ToArray(), [new("0", new byte[4])]);

        CheckpointException error = Refused(path);

        Assert.Contains("storage offset of 71 bits", error.Message);
    }

    [Fact]
    public void StrideTupleShorterThanSize_IsADiagnosticNotACrash()
    {
        string path = WriteTensor(storageElements: 4, shape: [2, 2], strides: [1], storageBytes: 16);

        CheckpointException error = Refused(path);

        Assert.Contains("2 sizes but 1 strides", error.Message);
    }

    [Fact]
    public void FlippedWeightByte_FailsTheCrcCheck()
    {
        string path = _folder.File("crc.pth");
        PthWriter.Write(path, [TensorToWrite.FromFloats("w", [4], [1f, 2f, 3f, 4f])]);
        byte[] bytes = File.ReadAllBytes(path);
        int at = FindFloat(bytes, 3f);
        bytes[at] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        // The storage is read, and checked, when its values are.
        Exception? thrown = ResourceBudget.Run(() => CheckpointReader.Read(path)["w"].ToDoubleArray(), SixtyFourMegabytes, Quick, "crc.pth");
        CheckpointException error = Assert.IsType<CheckpointException>(thrown);

        Assert.Contains("CRC-32", error.Message);
        Assert.Contains("/data/0", error.Message);
    }

    [Fact]
    public void Fifo_EndsWithADiagnosticInsteadOfBlocking()
    {
        string path = _folder.File("fifo.pth");
        using (Process mkfifo = Process.Start("mkfifo", path)!) mkfifo.WaitForExit();
        Assert.True(File.Exists(path), "test bug: mkfifo failed");

        CheckpointException error = Refused(path, TimeSpan.FromSeconds(5));

        Assert.Contains("not a regular file", error.Message);
    }

    [Fact]
    public void Directory_EndsWithADiagnostic() =>
        Assert.Contains("is a directory", Refused(_folder.Path).Message);

    [Fact]
    public void SymbolicLinkLoop_EndsWithADiagnostic()
    {
        string a = _folder.File("a.pth"), b = _folder.File("b.pth");
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);

        CheckpointException error = Refused(a);

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
    }

    [Fact]
    public void DevZero_EndsWithADiagnostic() =>
        Assert.Contains("not a regular file", Refused("/dev/zero", TimeSpan.FromSeconds(5)).Message);

    [Fact]
    public void SafetensorsHeaderOverTheFormatsLimit_IsRefusedUnread()
    {
        string path = _folder.File("big.safetensors");
        using (FileStream file = File.Create(path))
        {
            file.Write(BitConverter.GetBytes((ulong)SafetensorsReader.MaxHeaderBytes + 1));
            file.SetLength(SafetensorsReader.MaxHeaderBytes + 16L); // sparse: the declared header fits the file
        }

        CheckpointException error = Refused(path);

        Assert.Contains("at most 100000000", error.Message);
    }

    [Fact]
    public void LargeMalformedSafetensorsHeader_IsQuotedShort()
    {
        // A 20 MB entry where a tensor's description should be: the message quotes its start only.
        string entry = "{\"w\": {\"junk\": \"" + new string('x', 20 << 20) + "\"}}";
        string path = _folder.File("junk.safetensors");
        File.WriteAllBytes(path, HandWrittenSafetensors.Bytes(entry, data: 0));

        CheckpointException error = Refused(path, maxBytes: 400L << 20);

        Assert.True(error.Message.Length <= DiagnosticText.MaxMessageLength + 100, $"message of {error.Message.Length} characters");
        Assert.Contains("more characters", error.Message);
    }

    [Fact]
    public void SafetensorsNameEscapingALoneSurrogate_IsUnreadable()
    {
        string header = "{\"\\udc00\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}";
        string path = _folder.File("surrogate.safetensors");
        File.WriteAllBytes(path, HandWrittenSafetensors.Bytes(header, data: 4));

        Assert.Contains("not valid text", Refused(path).Message);
    }

    [Theory]
    [InlineData(0, 8, 4, 12, "overlap")]
    [InlineData(0, 4, 8, 12, "belong to no tensor")]
    [InlineData(4, 8, 8, 12, "belong to no tensor")]
    public void SafetensorsTensorsThatOverlapOrLeaveHoles_AreRefused(int begin1, int end1, int begin2, int end2, string message)
    {
        string header = $"{{\"a\": {{\"dtype\": \"U8\", \"shape\": [{end1 - begin1}], \"data_offsets\": [{begin1}, {end1}]}}, " +
                        $"\"b\": {{\"dtype\": \"U8\", \"shape\": [{end2 - begin2}], \"data_offsets\": [{begin2}, {end2}]}}}}";
        string path = _folder.File("cover.safetensors");
        File.WriteAllBytes(path, HandWrittenSafetensors.Bytes(header, data: 12));

        Assert.Contains(message, Refused(path).Message);
    }

    [Fact]
    public void ControlCharactersInNames_StayOnOneLine()
    {
        // A key that would print a forged compiler error on a line of its own.
        string name = "w\nsrc/Program.cs(1,1): error CS0000: forged\r\u001b[31m";
        string path = _folder.File("names.pth");
        PthWriter.Write(path, [new TensorToWrite(name, TensorDType.Int32, [1], new byte[4])]);

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path)[name].ToDoubleArray());

        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain('\r', error.Message);
        Assert.DoesNotContain('\u001b', error.Message);
        Assert.Contains("w\\nsrc/Program.cs(1,1): error CS0000: forged\\r\\u001b[31m", error.Message);
    }

    [Theory]
    [MemberData(nameof(PyTorchFixtures.AllCheckpoints), MemberType = typeof(PyTorchFixtures))]
    public void OrdinaryCheckpoint_IsReadWithinBudget(string name)
    {
        // Every tensor's values, as the weights step reads them: about 3 times the file at most (bytes, then doubles).
        string path = PyTorchFixtures.Checkpoint(name);
        Exception? error = ResourceBudget.Run(() => ReadAllValues(path), 4 * new FileInfo(path).Length + (16 << 20), Quick, name);

        Assert.Null(error);
    }

    [Fact]
    public void OrdinaryLegacyCheckpoint_IsReadWithinBudget()
    {
        // torch.save(..., _use_new_zipfile_serialization=False) of {"w": a 1 MiB float tensor}.
        const int elements = 1 << 18;
        string path = _folder.File("legacy.pth");
        var file = new MemoryStream();
        file.Write(new PickleWriter().Proto().Value(BigInteger.Parse("119547037146038801333356")).Stop().ToArray());
        file.Write(new PickleWriter().Proto().Value(1001).Stop().ToArray());
        file.Write(new PickleWriter().Proto().EmptyDict().Value("little_endian").Value(true).SetItem().Stop().ToArray());
        file.Write(new PickleWriter().Proto().EmptyOrderedDict().Value("w")
            .Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Value("storage").Global("torch", "FloatStorage").Value("0").Value("cpu").Value(elements).Value(null).Tuple().PersistentId()
            .Value(0).Mark().Value(elements).Tuple().Mark().Value(1).Tuple().Value(false).EmptyOrderedDict().Tuple().Reduce()
            .SetItem().Stop().ToArray());
        file.Write(new PickleWriter().Proto().EmptyList().Mark().Value("0").Appends().Stop().ToArray());
        file.Write(BitConverter.GetBytes((long)elements));
        file.Write(TensorToWrite.FromFloats("w", [elements], Enumerable.Range(0, elements).Select(i => (float)i).ToArray()).Data.Span);
        File.WriteAllBytes(path, file.ToArray());

        Exception? error = ResourceBudget.Run(() => ReadAllValues(path), 4 * file.Length + (16 << 20), Quick, "legacy.pth");

        Assert.Null(error);
        Assert.Equal(elements - 1, CheckpointReader.Read(path)["w"].ToDoubleArray()[^1]);
    }

    private static void ReadAllValues(string path)
    {
        foreach (CheckpointTensor tensor in CheckpointReader.Read(path).Values)
        {
            if (tensor.DType.IsFloatingPoint())
                tensor.ToDoubleArray();
        }
    }

    private CheckpointException Refused(string path, TimeSpan? maxTime = null, long maxBytes = SixtyFourMegabytes)
    {
        Exception? thrown = ResourceBudget.Run(() => CheckpointReader.Read(path), maxBytes, maxTime ?? Quick, Path.GetFileName(path));
        return Assert.IsType<CheckpointException>(thrown);
    }

    private string Archive(PickleWriter pickle)
    {
        string path = _folder.File($"{Guid.NewGuid():N}.pth");
        PthWriter.WriteArchive(path, pickle.ToArray(), []);
        return path;
    }

    /// <summary>A checkpoint of one tensor "w" with the given view over storage "0".</summary>
    private string WriteTensor(long storageElements, int[] shape, long[] strides, int storageBytes)
    {
        var pickle = new PickleWriter().Proto().EmptyOrderedDict().Mark()
            .Value("w").TensorRebuild("0", TensorDType.Float32, storageElements, 0, shape, strides).SetItems().Stop();
        string path = _folder.File($"{Guid.NewGuid():N}.pth");
        PthWriter.WriteArchive(path, pickle.ToArray(), [new("0", new byte[storageBytes])]);
        return path;
    }

    /// <summary>A zip whose entries are deflated, as a zip tool (not torch.save) writes them.</summary>
    private string WriteDeflatedArchive(params (string Name, byte[] Data)[] entries)
    {
        string path = _folder.File($"{Guid.NewGuid():N}.pth");
        using var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
        foreach (var (name, data) in entries)
        {
            using Stream stream = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
            stream.Write(data);
        }
        return path;
    }

    private static int FindFloat(byte[] bytes, float value)
    {
        byte[] pattern = BitConverter.GetBytes(value);
        for (int i = 0; i + 4 <= bytes.Length; i++)
            if (bytes.AsSpan(i, 4).SequenceEqual(pattern)) return i;
        throw new InvalidOperationException("test bug: value not in the file");
    }
}
