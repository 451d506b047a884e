using RepVgg.Compiler.Writing;

namespace RepVgg.Checkpoints.Tests;

/// <summary>
/// Tensors that are views: an offset and strides into a storage other tensors share, as torch.save
/// writes for slices, transposes and expanded tensors.
/// </summary>
public sealed class StridedTensorTests
{
    private static readonly float[] Storage = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();

    [Theory]
    [InlineData(TensorDType.Float32)]
    [InlineData(TensorDType.Float16)]
    [InlineData(TensorDType.BFloat16)]
    [InlineData(TensorDType.Float64)]
    public void Views_ReadTheirElementsInRowMajorOrderOfTheirOwnShape(TensorDType dtype)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("views.pth");
        WriteViews(path, dtype,
            ("transposed", 1, [3, 2], [1, 3]),
            ("tail", 8, [4], [1]),
            ("every_other", 0, [2, 2], [6, 2]),
            ("expanded", 5, [3], [0]),
            ("empty", 0, [0, 4], [4, 1]));

        StateDict tensors = CheckpointReader.Read(path);

        // transposed[i, j] = storage[1 + i + 3j].
        Assert.Equal([1.0, 4, 2, 5, 3, 6], tensors["transposed"].ToDoubleArray());
        Assert.Equal([8.0, 9, 10, 11], tensors["tail"].ToDoubleArray());
        Assert.Equal([0.0, 2, 6, 8], tensors["every_other"].ToDoubleArray());
        Assert.Equal([5.0, 5, 5], tensors["expanded"].ToDoubleArray());
        Assert.Empty(tensors["empty"].ToDoubleArray());
        Assert.Equal([0, 4], tensors["empty"].Shape);
    }

    [Fact]
    public void ViewReachingPastItsStorage_IsRejectedNamingTheTensor()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("overrun.pth");
        // Last element 7 + 2*1 + 1*3 = 12, one past the 12-element storage.
        WriteViews(path, TensorDType.Float32, ("fine", 0, [12], [1]), ("overrun", 7, [3, 2], [1, 3]));

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Equal("overrun", error.Tensor);
        Assert.Contains("needs 52 bytes", error.Message);
        Assert.Contains("holds only 48", error.Message);
    }

    /// <summary>Views of one storage holding 0..11 (each exact in every floating-point type).</summary>
    private static void WriteViews(string path, TensorDType dtype, params (string Name, long Offset, int[] Shape, long[] Strides)[] views)
    {
        var pickle = new PickleWriter().Proto().EmptyOrderedDict().Mark();
        foreach (var view in views)
            pickle.Value(view.Name).TensorRebuild("0", dtype, Storage.Length, view.Offset, view.Shape, view.Strides);
        byte[] storage = TensorToWrite.FromFloats("storage", [Storage.Length], Storage, dtype).Data.ToArray();
        PthWriter.WriteArchive(path, pickle.SetItems().Stop().ToArray(), [new("0", storage)]);
    }
}
