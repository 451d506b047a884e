using RepVgg.Compiler.Writing;

namespace RepVgg.Checkpoints.Tests;

/// <summary>Integer and bool tensors load like any other; only asking for their values as doubles fails.</summary>
public sealed class UnsupportedDTypeTests
{
    [Theory]
    [InlineData(TensorDType.Int64, "int64")]
    [InlineData(TensorDType.Int32, "int32")]
    [InlineData(TensorDType.UInt8, "uint8")]
    [InlineData(TensorDType.Bool, "bool")]
    public void ReadingSucceeds_ButConversionNamesFileTensorAndTypes(TensorDType dtype, string torchName)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("ints.pth");
        PthWriter.Write(path, [
            TensorToWrite.FromFloats("bn.weight", [2], [1f, 2f]),
            new TensorToWrite("bn.counts", dtype, [4], new byte[4 * dtype.ElementSize()]),
        ]);

        StateDict tensors = CheckpointReader.Read(path);
        Assert.Equal([1.0, 2.0], tensors["bn.weight"].ToDoubleArray());
        var error = Assert.Throws<CheckpointException>(tensors["bn.counts"].ToDoubleArray);

        Assert.Equal(CheckpointProblem.UnsupportedDType, error.Problem);
        Assert.Equal(path, error.File);
        Assert.Equal("bn.counts", error.Tensor);
        Assert.Contains($"'bn.counts' in '{path}' has element type {torchName}", error.Message);
        Assert.Contains("expected float32, float16, bfloat16 or float64", error.Message);
    }

    [Fact]
    public void PyTorchsOwnNumBatchesTracked_RefusesConversion()
    {
        CheckpointTensor counter = CheckpointReader.Read(PyTorchFixtures.OfficialPth)["stage0.rbr_dense.bn.num_batches_tracked"];

        var error = Assert.Throws<CheckpointException>(counter.ToDoubleArray);

        Assert.Equal(CheckpointProblem.UnsupportedDType, error.Problem);
        Assert.Contains("int64", error.Message);
    }
}
