using System.IO.Compression;
using System.Text;
using RepVgg.Compiler.Writing;

namespace RepVgg.Checkpoints.Tests;

/// <summary>Files that are missing, cut short, corrupt or of another kind: each gives a message naming the file and what was expected.</summary>
public sealed class DamagedFileTests
{
    [Fact]
    public void MissingFile_IsMissing()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("nowhere.pth");

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Missing, error.Problem);
        Assert.Equal(path, error.File);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void TruncatedZip_IsUnreadableNamingTheFile()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("cut.pth");
        PthWriter.Write(path, [TensorToWrite.FromFloats("w", [256], new float[256])]);
        byte[] whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..(whole.Length / 2)]);

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Contains($"'{path}' is not a readable zip archive", error.Message);
        Assert.Contains("truncated or corrupt", error.Message);
    }

    [Fact]
    public void StorageShorterThanItsTensor_IsUnreadableWithExpectedAndFoundBytes()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("short_storage.pth");
        PthWriter.Write(path, [
            TensorToWrite.FromFloats("ok", [2], [1f, 2f]),
            new TensorToWrite("stage0.rbr_dense.conv.weight", TensorDType.Float32, [4, 3], new byte[10]),
        ]);

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Equal("stage0.rbr_dense.conv.weight", error.Tensor);
        Assert.Contains("needs 48 bytes of storage but the file holds only 10", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void StorageEntryShorterThanThePickleDeclares_IsUnreadableNamingTheStorage()
    {
        // The tensor itself needs only 2 floats, but the storage it views declares 100: the entry was cut.
        using var folder = new TemporaryFolder();
        string path = folder.File("cut_storage.pth");
        var pickle = new PickleWriter().Proto().EmptyOrderedDict()
            .Mark().Value("w").TensorRebuild("0", TensorDType.Float32, 100, 0, [2], [1]).SetItems().Stop();
        PthWriter.WriteArchive(path, pickle.ToArray(), [new("0", new byte[8])]);

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Equal("w", error.Tensor);
        Assert.Contains("Storage '0' of tensor 'w'", error.Message);
        Assert.Contains("declared as 100 elements of torch.FloatStorage (400 bytes); the file holds 8 bytes for it", error.Message);
    }

    [Fact]
    public void StorageEntryMissingFromTheZip_IsUnreadableNamingTheTensor()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("no_storage.pth");
        var pickle = new PickleWriter().Proto().EmptyOrderedDict()
            .Mark().Value("w").TensorRebuild("7", TensorDType.Float32, 2, 0, [2], [1]).SetItems().Stop();
        PthWriter.WriteArchive(path, pickle.ToArray(), []);

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Equal("w", error.Tensor);
        Assert.Contains("'no_storage/data/7'", error.Message);
    }

    [Fact]
    public void BigEndianByteOrder_IsUnreadableSayingSo()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("s390x.pth");
        PthWriter.Write(path, [TensorToWrite.FromFloats("w", [1], [1f])]);
        using (ZipArchive zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            zip.GetEntry("s390x/byteorder")!.Delete();
            using Stream entry = zip.CreateEntry("s390x/byteorder").Open();
            entry.Write("big"u8);
        }

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Contains("'big'-endian", error.Message);
        Assert.Contains("expected 'little'", error.Message);
    }

    [Fact]
    public void ZipWithoutDataPkl_IsUnreadableListingWhatItHolds()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("photos.zip");
        using (ZipArchive zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (Stream entry = zip.CreateEntry("holiday/beach.jpg").Open())
            entry.Write("jpeg"u8);

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Contains("no '<folder>/data.pkl'", error.Message);
        Assert.Contains("'holiday/beach.jpg'", error.Message);
    }

    [Fact]
    public void LegacyCheckpointCutAfterItsMagicNumber_IsUnreadable()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("legacy.pth");
        // torch.save before 1.6 started with a pickled magic number: PROTO 2, LONG1 0x1950a86a20f9469cfc6c.
        File.WriteAllBytes(path, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Contains("(legacy format version)", error.Message);
        Assert.Contains("ends at byte 15", error.Message);
    }

    [Fact]
    public void BarePickleThatIsNotTorchSave_IsUnreadable()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("pickle.pkl");
        File.WriteAllBytes(path, new PickleWriter().Proto().EmptyDict().Stop().ToArray());

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Contains("first value is a dict, not torch.save's magic number", error.Message);
    }

    [Fact]
    public void GarbageFile_IsUnreadableShowingItsFirstBytes()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("notes.bin");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("GARBAGE, not a model at all"));

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Contains("neither a PyTorch checkpoint", error.Message);
        Assert.Contains("47415242414745", error.Message);
    }

    [Fact]
    public void EmptyFile_IsUnreadable()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("empty.pth");
        File.WriteAllBytes(path, []);

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Contains("is empty", error.Message);
    }

    [Fact]
    public void TopLevelThatIsNotADict_IsUnreadable()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("list.pth");
        PthWriter.WriteArchive(path, new PickleWriter().Proto().EmptyList().Mark().Value(1).Value(2).Appends().Stop().ToArray(), []);

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Contains("holds a list at its top level", error.Message);
    }
}
