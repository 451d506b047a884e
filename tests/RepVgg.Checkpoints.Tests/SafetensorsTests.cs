using System.Buffers.Binary;
using RepVgg.Compiler.Writing;

namespace RepVgg.Checkpoints.Tests;

/// <summary>safetensors round trips, and every way a header can disagree with its file.</summary>
public sealed class SafetensorsTests
{
    [Fact]
    public void WrittenFile_ReadsBackInOrderWithEveryTypeAndMetadataIgnored()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("model.safetensors");
        float[] weight = PthRoundTripTests.RandomFloats(seed: 3, count: 8 * 3 * 3 * 3);

        SafetensorsWriter.Write(path, [
            TensorToWrite.FromFloats("stem.conv_kxk.conv.weight", [8, 3, 3, 3], weight),
            TensorToWrite.FromFloats("stem.conv_kxk.bn.weight", [2], [1.5f, -2f], TensorDType.Float16),
            TensorToWrite.FromFloats("stem.conv_kxk.bn.bias", [2], [0.25f, 8f], TensorDType.BFloat16),
            TensorToWrite.Int64Scalar("stem.conv_kxk.bn.num_batches_tracked", 42),
            new TensorToWrite("flags", TensorDType.Bool, [3], new byte[] { 1, 0, 1 }),
        ], new Dictionary<string, string> { ["format"] = "pt" });
        StateDict tensors = CheckpointReader.Read(path);

        Assert.Equal(["stem.conv_kxk.conv.weight", "stem.conv_kxk.bn.weight", "stem.conv_kxk.bn.bias", "stem.conv_kxk.bn.num_batches_tracked", "flags"], tensors.Keys);
        TensorAssert.Equal(weight.Select(v => (double)v).ToArray(), tensors["stem.conv_kxk.conv.weight"].ToDoubleArray(), "weight");
        Assert.Equal([1.5, -2.0], tensors["stem.conv_kxk.bn.weight"].ToDoubleArray());
        Assert.Equal([0.25, 8.0], tensors["stem.conv_kxk.bn.bias"].ToDoubleArray());
        Assert.Equal(TensorDType.Int64, tensors["stem.conv_kxk.bn.num_batches_tracked"].DType);
        Assert.Equal(TensorDType.Bool, tensors["flags"].DType);
        Assert.Equal("BOOL", tensors["flags"].DeclaredDType);
    }

    [Fact]
    public void Header_IsPaddedSoTheDataStartsEightByteAligned()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("padded.safetensors");

        SafetensorsWriter.Write(path, [TensorToWrite.FromFloats("w", [1], [1f])]);
        byte[] file = File.ReadAllBytes(path);

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.Equal(0UL, headerLength % 8);
        Assert.Equal(8 + (long)headerLength + 4, file.Length);
    }

    [Fact]
    public void DataParallelPrefix_IsStrippedHereToo()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("dp.safetensors");

        SafetensorsWriter.Write(path, [TensorToWrite.FromFloats("module.head.fc.bias", [2], [1f, 2f])]);

        Assert.Equal(["head.fc.bias"], CheckpointReader.Read(path).Keys);
    }

    [Fact]
    public void HeaderLengthPastTheEndOfTheFile_IsUnreadable()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("long_header.safetensors");
        File.WriteAllBytes(path, HandWrittenSafetensors.Bytes("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", data: 4, declaredHeaderLength: 10_000));

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Equal(path, error.File);
        Assert.Contains("header of 10000 bytes", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void DataOffsetsPastTheEndOfTheFile_AreUnreadableNamingTheTensor()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("short_data.safetensors");
        File.WriteAllBytes(path, HandWrittenSafetensors.Bytes("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[4],"data_offsets":[4,20]}}""", data: 12));

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Equal("b", error.Tensor);
        Assert.Contains("[4, 20]", error.Message);
        Assert.Contains("holds only 12 bytes", error.Message);
    }

    [Fact]
    public void ByteLengthThatDisagreesWithTheShape_IsUnreadableWithExpectedAndFound()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("wrong_length.safetensors");
        File.WriteAllBytes(path, HandWrittenSafetensors.Bytes("""{"w":{"dtype":"F16","shape":[2,3],"data_offsets":[0,10]}}""", data: 10));

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal("w", error.Tensor);
        Assert.Contains("needs 12 bytes", error.Message);
        Assert.Contains("hold 10", error.Message);
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]""")]
    [InlineData("""[1, 2, 3]""")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1]}}""")]
    [InlineData("""{"w":"F32"}""")]
    public void MalformedHeader_IsUnreadable(string header)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("malformed.safetensors");
        File.WriteAllBytes(path, HandWrittenSafetensors.Bytes(header, data: 4));

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void UnknownDType_ReadsButRefusesConversionNamingTheDeclaredType()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("fp8.safetensors");
        File.WriteAllBytes(path, HandWrittenSafetensors.Bytes("""{"__metadata__":{"quant":"fp8"},"w":{"dtype":"F8_E4M3","shape":[2,2],"data_offsets":[0,4]}}""", data: 4));

        CheckpointTensor tensor = CheckpointReader.Read(path)["w"];
        Assert.Equal(TensorDType.Other, tensor.DType);
        Assert.Equal([2, 2], tensor.Shape);
        var error = Assert.Throws<CheckpointException>(tensor.ToDoubleArray);

        Assert.Equal(CheckpointProblem.UnsupportedDType, error.Problem);
        Assert.Equal("w", error.Tensor);
        Assert.Contains("'F8_E4M3'", error.Message);
        Assert.Contains("float32, float16, bfloat16 or float64", error.Message);
    }
}
