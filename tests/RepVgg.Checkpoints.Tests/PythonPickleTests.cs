using RepVgg.Compiler.Writing;

namespace RepVgg.Checkpoints.Tests;

/// <summary>
/// data.pkl files written by CPython's own pickler at protocols 2, 4 and 5 (Pickles/make_pickles.py):
/// a training checkpoint whose "model" entry is a state dict with a Parameter, a view that shares
/// its storage, float16 and int64 storages, a non-tensor value and _metadata restored with BUILD,
/// beside an optimizer state and scalars that exercise FRAME, MEMOIZE, STACK_GLOBAL, LONG1, BINFLOAT
/// and the rest of what such files hold, and Python objects (a Namespace, a bound method, a custom class,
/// a defaultdict, sets, bytes) that are skipped without being built.
/// </summary>
public sealed class PythonPickleTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(5)]
    public void TrainingCheckpoint_GivesTheModelsTensors(int protocol)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("python.pth");
        byte[] pickle = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Pickles", $"checkpoint_protocol{protocol}.pkl"));
        // Storage "3" (the optimizer's) is left out: reading must not need it.
        PthWriter.WriteArchive(path, pickle, [
            new("0", TensorToWrite.FromFloats("s", [6], [0f, 1f, 2f, 3f, 4f, 5f]).Data),
            new("1", TensorToWrite.FromFloats("s", [3], [0.5f, 1f, 2f], TensorDType.Float16).Data),
            new("2", TensorToWrite.Int64Scalar("s", 7).Data),
        ]);

        StateDict tensors = CheckpointReader.Read(path);

        Assert.Equal(["conv.weight", "conv.bias", "bn.running_var", "bn.num_batches_tracked"], tensors.Keys);
        Assert.Equal([2, 3], tensors["conv.weight"].Shape);
        Assert.Equal([0.0, 1, 2, 3, 4, 5], tensors["conv.weight"].ToDoubleArray());
        Assert.Equal([4.0, 5], tensors["conv.bias"].ToDoubleArray());
        Assert.Equal(TensorDType.Float16, tensors["bn.running_var"].DType);
        Assert.Equal([0.5, 1, 2], tensors["bn.running_var"].ToDoubleArray());
        Assert.Equal(TensorDType.Int64, tensors["bn.num_batches_tracked"].DType);
        Assert.Equal("torch.LongStorage", tensors["bn.num_batches_tracked"].DeclaredDType);
        CheckpointWarning skipped = Assert.Single(tensors.Warnings);
        Assert.Equal(CheckpointWarningKind.SkippedObjects, skipped.Kind);
        Assert.Contains("in 1 entry 'extras'", skipped.Message);
        Assert.Contains("'argparse.Namespace'", skipped.Message);
        Assert.Contains("'__main__.Scheduler'", skipped.Message);
    }
}
