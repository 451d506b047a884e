using System.IO.Compression;
using System.Runtime.InteropServices;

namespace RepVgg.Checkpoints.Tests;

/// <summary>The checkpoints PyTorch wrote itself: a bare state dict, a DataParallel training wrapper, and timm safetensors.</summary>
public sealed class PyTorchFixtureTests
{
    [Fact]
    public void OfficialPth_HasEveryTensorInFileOrderWithTorchShapesAndTypes()
    {
        StateDict tensors = CheckpointReader.Read(PyTorchFixtures.OfficialPth);

        Assert.Equal(PyTorchFixtures.OfficialPth, tensors.SourcePath);
        Assert.Equal(113, tensors.Count);
        Assert.Equal("stage0.rbr_dense.conv.weight", tensors.Keys.First());
        Assert.Equal("linear.bias", tensors.Keys.Last());
        Assert.Equal([16, 3, 3, 3], tensors["stage0.rbr_dense.conv.weight"].Shape);
        Assert.Equal([16, 3, 1, 1], tensors["stage0.rbr_1x1.conv.weight"].Shape);
        Assert.Equal([10, 256], tensors["linear.weight"].Shape);
        Assert.Equal(2560, tensors["linear.weight"].ElementCount);
        Assert.Equal(TensorDType.Float32, tensors["stage1.1.rbr_identity.running_var"].DType);
    }

    [Fact]
    public void OfficialPth_NumBatchesTrackedIsAnInt64Scalar()
    {
        StateDict tensors = CheckpointReader.Read(PyTorchFixtures.OfficialPth);

        var counters = tensors.Values.Where(t => t.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(counters);
        Assert.All(counters, t =>
        {
            Assert.Equal(TensorDType.Int64, t.DType);
            Assert.Empty(t.Shape);
            Assert.Equal(1, t.ElementCount);
        });
    }

    [Fact]
    public void OfficialPth_ValuesEqualTheStorageBytesReadDirectlyFromTheZip()
    {
        StateDict tensors = CheckpointReader.Read(PyTorchFixtures.OfficialPth);

        // Storage keys from the pickle: data/0 is the stem's 3x3 kernel, data/111 the classifier weight.
        TensorAssert.Equal(RawFloats(PyTorchFixtures.OfficialPth, "tiny_official_train/data/0"),
            tensors["stage0.rbr_dense.conv.weight"].ToDoubleArray(), "stage0.rbr_dense.conv.weight");
        TensorAssert.Equal(RawFloats(PyTorchFixtures.OfficialPth, "tiny_official_train/data/111"),
            tensors["linear.weight"].ToDoubleArray(), "linear.weight");
    }

    [Fact]
    public void WrappedPth_GivesTheSameTensorsAsTheOfficialOne()
    {
        StateDict official = CheckpointReader.Read(PyTorchFixtures.OfficialPth);
        StateDict wrapped = CheckpointReader.Read(PyTorchFixtures.WrappedPth);

        Assert.Equal(official.Keys, wrapped.Keys);
        foreach (var (name, expected) in official)
        {
            CheckpointTensor actual = wrapped[name];
            Assert.Equal(expected.DType, actual.DType);
            Assert.Equal(expected.Shape, actual.Shape);
            if (expected.DType == TensorDType.Float32)
                TensorAssert.Equal(expected.ToDoubleArray(), actual.ToDoubleArray(), name);
        }
    }

    [Theory]
    [InlineData("stage0.rbr_dense.conv.weight", "stem.conv_kxk.conv.weight")]
    [InlineData("stage0.rbr_1x1.bn.running_mean", "stem.conv_1x1.bn.running_mean")]
    [InlineData("stage1.1.rbr_identity.running_var", "stages.0.1.identity.running_var")]
    [InlineData("stage1.1.rbr_identity.weight", "stages.0.1.identity.weight")]
    [InlineData("linear.weight", "head.fc.weight")]
    [InlineData("linear.bias", "head.fc.bias")]
    public void TimmSafetensors_HoldsTheOfficialValuesUnderTimmNames(string officialName, string timmName)
    {
        StateDict official = CheckpointReader.Read(PyTorchFixtures.OfficialPth);
        StateDict timm = CheckpointReader.Read(PyTorchFixtures.TimmSafetensors);

        Assert.Equal(official.Count, timm.Count);
        Assert.Equal(official[officialName].Shape, timm[timmName].Shape);
        Assert.Equal(TensorDType.Float32, timm[timmName].DType);
        TensorAssert.Equal(official[officialName].ToDoubleArray(), timm[timmName].ToDoubleArray(), timmName);
    }

    [Fact]
    public void TimmSafetensors_NumBatchesTrackedIsAnInt64Scalar()
    {
        CheckpointTensor counter = CheckpointReader.Read(PyTorchFixtures.TimmSafetensors)["stem.conv_kxk.bn.num_batches_tracked"];

        Assert.Equal(TensorDType.Int64, counter.DType);
        Assert.Equal("I64", counter.DeclaredDType);
        Assert.Empty(counter.Shape);
    }

    private static double[] RawFloats(string path, string entryName)
    {
        using ZipArchive zip = ZipFile.OpenRead(path);
        using var bytes = new MemoryStream();
        using (Stream entry = zip.GetEntry(entryName)!.Open())
            entry.CopyTo(bytes);
        return MemoryMarshal.Cast<byte, float>(bytes.ToArray()).ToArray().Select(v => (double)v).ToArray();
    }
}
