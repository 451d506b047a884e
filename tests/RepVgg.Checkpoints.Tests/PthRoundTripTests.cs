using System.Buffers.Binary;
using System.IO.Compression;
using RepVgg.Compiler.Writing;

namespace RepVgg.Checkpoints.Tests;

/// <summary>What <see cref="PthWriter"/> writes, <see cref="PthReader"/> reads back, in every layout and wrapper.</summary>
public sealed class PthRoundTripTests
{
    // Exactly representable in float16 and bfloat16, so every type must give them back unchanged.
    private static readonly float[] Representable = [0.5f, -1.25f, 3f, 1024f, -0.0078125f, 96f];

    public static TheoryData<PthFormat, string?, string> Layouts()
    {
        var data = new TheoryData<PthFormat, string?, string>();
        foreach (PthFormat format in Enum.GetValues<PthFormat>())
            foreach (string? wrapper in new[] { null, "state_dict", "model" })
                foreach (string prefix in new[] { "", "module." })
                    data.Add(format, wrapper, prefix);
        return data;
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void EveryLayoutWrapperAndPrefix_ReadsBackTheSameTensors(PthFormat format, string? wrapper, string prefix)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("model.pth");
        float[] weight = RandomFloats(seed: 7, count: 4 * 3 * 3 * 3);
        var options = new PthOptions
        {
            Format = format,
            WrapperKey = wrapper,
            KeyPrefix = prefix,
            ExtraEntries = [new("epoch", 120), new("best_acc1", 0.75), new("arch", "RepVGG-A0"), new("amp", true), new("scheduler", null)],
        };

        PthWriter.Write(path, [
            TensorToWrite.FromFloats("stage0.rbr_dense.conv.weight", [4, 3, 3, 3], weight),
            TensorToWrite.FromFloats("stage0.rbr_dense.bn.weight", [6], Representable, TensorDType.Float16),
            TensorToWrite.FromFloats("stage0.rbr_dense.bn.bias", [2, 3], Representable, TensorDType.BFloat16),
            TensorToWrite.FromFloats("linear.bias", [6], Representable, TensorDType.Float64),
            TensorToWrite.Int64Scalar("stage0.rbr_dense.bn.num_batches_tracked", 1234),
        ], options);
        StateDict tensors = CheckpointReader.Read(path);

        Assert.Equal(["stage0.rbr_dense.conv.weight", "stage0.rbr_dense.bn.weight", "stage0.rbr_dense.bn.bias", "linear.bias", "stage0.rbr_dense.bn.num_batches_tracked"], tensors.Keys);
        Assert.Equal([4, 3, 3, 3], tensors["stage0.rbr_dense.conv.weight"].Shape);
        TensorAssert.Equal(weight.Select(v => (double)v).ToArray(), tensors["stage0.rbr_dense.conv.weight"].ToDoubleArray(), "conv.weight");
        Assert.Equal(TensorDType.Float16, tensors["stage0.rbr_dense.bn.weight"].DType);
        TensorAssert.Equal(Representable.Select(v => (double)v).ToArray(), tensors["stage0.rbr_dense.bn.weight"].ToDoubleArray(), "bn.weight");
        Assert.Equal(TensorDType.BFloat16, tensors["stage0.rbr_dense.bn.bias"].DType);
        Assert.Equal([2, 3], tensors["stage0.rbr_dense.bn.bias"].Shape);
        TensorAssert.Equal(Representable.Select(v => (double)v).ToArray(), tensors["stage0.rbr_dense.bn.bias"].ToDoubleArray(), "bn.bias");
        Assert.Equal(TensorDType.Float64, tensors["linear.bias"].DType);
        TensorAssert.Equal(Representable.Select(v => (double)v).ToArray(), tensors["linear.bias"].ToDoubleArray(), "linear.bias");
        Assert.Equal(TensorDType.Int64, tensors["stage0.rbr_dense.bn.num_batches_tracked"].DType);
    }

    [Fact]
    public void Torch1Layout_KeepsEntriesUnderArchiveWithoutByteOrder()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("old.pth");

        PthWriter.Write(path, [TensorToWrite.FromFloats("w", [2], [1f, 2f])], new PthOptions { Format = PthFormat.Torch1 });

        using ZipArchive zip = ZipFile.OpenRead(path);
        Assert.Equal(["archive/data.pkl", "archive/data/0", "archive/version"], zip.Entries.Select(e => e.FullName));
        Assert.All(zip.Entries, e => Assert.Equal(e.Length, e.CompressedLength));
    }

    [Fact]
    public void Torch2Layout_NamesTheFolderAfterTheFileAndAlignsEveryEntryTo64Bytes()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("resnet_like.pth");

        PthWriter.Write(path, [TensorToWrite.FromFloats("a", [3], [1f, 2f, 3f]), TensorToWrite.Int64Scalar("b", 5)]);

        using (ZipArchive zip = ZipFile.OpenRead(path))
        {
            Assert.Equal(
                ["resnet_like/data.pkl", "resnet_like/.format_version", "resnet_like/.storage_alignment", "resnet_like/byteorder",
                 "resnet_like/data/0", "resnet_like/data/1", "resnet_like/version"],
                zip.Entries.Select(e => e.FullName));
        }
        Assert.All(EntryDataOffsets(File.ReadAllBytes(path)), offset => Assert.Equal(0, offset % 64));
    }

    [Fact]
    public void DeflatedEntries_AreReadLikeStoredOnes()
    {
        using var folder = new TemporaryFolder();
        string stored = folder.File("stored.pth"), deflated = folder.File("deflated.pth");
        float[] values = RandomFloats(seed: 11, count: 300);
        PthWriter.Write(stored, [TensorToWrite.FromFloats("w", [3, 100], values)]);

        using (ZipArchive source = ZipFile.OpenRead(stored))
        using (ZipArchive target = ZipFile.Open(deflated, ZipArchiveMode.Create))
        {
            foreach (ZipArchiveEntry entry in source.Entries)
            {
                using Stream from = entry.Open(), to = target.CreateEntry(entry.FullName, CompressionLevel.Optimal).Open();
                from.CopyTo(to);
            }
        }
        using (ZipArchive check = ZipFile.OpenRead(deflated))
            Assert.Contains(check.Entries, e => e.CompressedLength < e.Length);

        TensorAssert.Equal(values.Select(v => (double)v).ToArray(), CheckpointReader.Read(deflated)["w"].ToDoubleArray(), "w");
    }

    [Theory]
    [InlineData(TensorDType.Int64, 8)]
    [InlineData(TensorDType.Int32, 4)]
    [InlineData(TensorDType.Int16, 2)]
    [InlineData(TensorDType.Int8, 1)]
    [InlineData(TensorDType.UInt8, 1)]
    [InlineData(TensorDType.Bool, 1)]
    public void IntegerStorages_KeepTheirElementType(TensorDType dtype, int elementSize)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("ints.pth");

        PthWriter.Write(path, [new TensorToWrite("mask", dtype, [2, 3], new byte[6 * elementSize])]);
        CheckpointTensor tensor = CheckpointReader.Read(path)["mask"];

        Assert.Equal(dtype, tensor.DType);
        Assert.Equal([2, 3], tensor.Shape);
    }

    [Fact]
    public void MoreThanOneThousandTensors_SpanSeveralSetItemsBatches()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("many.pth");
        var tensors = Enumerable.Range(0, 2500).Select(i => TensorToWrite.FromFloats($"t{i}", [1], [i])).ToList();

        PthWriter.Write(path, tensors, new PthOptions { WrapperKey = "model", ExtraEntries = [new("epoch", 3)] });
        StateDict read = CheckpointReader.Read(path);

        Assert.Equal(tensors.Select(t => t.Name), read.Keys);
        Assert.Equal([2499.0], read["t2499"].ToDoubleArray());
    }

    [Fact]
    public void EmptyPlainDictWithOnlyTrainingState_IsRejectedNamingItsKeys()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("no_weights.pth");

        PthWriter.Write(path, [], new PthOptions { ExtraEntries = [new("epoch", 120), new("best_acc1", 75.5)] });
        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Contains("holds no tensors", error.Message);
        Assert.Contains("'epoch', 'best_acc1'", error.Message);
    }

    [Fact]
    public void DataParallelPrefix_ThatCollidesWithAnUnprefixedKey_IsRejected()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("collide.pth");

        PthWriter.Write(path, [TensorToWrite.FromFloats("linear.bias", [1], [1f]), TensorToWrite.FromFloats("module.linear.bias", [1], [2f])]);
        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Equal("linear.bias", error.Tensor);
        Assert.Contains("'module.linear.bias'", error.Message);
    }

    internal static float[] RandomFloats(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>Where each entry's data starts, from the central directory and local headers.</summary>
    private static IEnumerable<long> EntryDataOffsets(byte[] zip)
    {
        ReadOnlySpan<byte> end = zip.AsSpan(zip.Length - 22);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(end[10..]);
        int record = (int)BinaryPrimitives.ReadUInt32LittleEndian(end[16..]);
        var offsets = new List<long>();
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> central = zip.AsSpan(record);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(central[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(central[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(central[32..]);
            int local = (int)BinaryPrimitives.ReadUInt32LittleEndian(central[42..]);
            ReadOnlySpan<byte> header = zip.AsSpan(local);
            offsets.Add(local + 30 + BinaryPrimitives.ReadUInt16LittleEndian(header[26..]) + BinaryPrimitives.ReadUInt16LittleEndian(header[28..]));
            record += 46 + nameLength + extraLength + commentLength;
        }
        return offsets;
    }
}
