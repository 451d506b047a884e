namespace RepVgg.Checkpoints.Tests;

/// <summary>
/// Pickles that would run code or build arbitrary objects under torch.load: each is refused at the
/// opcode that names the global, and nothing it asks for happens.
/// </summary>
public sealed class ForbiddenGlobalTests
{
    [Fact]
    public void OsSystemThroughReduce_IsRefusedAndNeverRuns()
    {
        using var folder = new TemporaryFolder();
        string marker = folder.File("pwned");
        string path = folder.File("hostile.pth");
        WritePickle(path, new PickleWriter().Proto().Global("os", "system").Mark().Value($"touch {marker}").Tuple().Reduce().Stop());

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.ForbiddenGlobal, error.Problem);
        Assert.Equal(path, error.File);
        Assert.Contains("'os.system'", error.Message);
        Assert.Contains("collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter", error.Message);
        Assert.Contains("torch.FloatStorage", error.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void BuiltinsEval_IsRefusedAndNeverRuns()
    {
        using var folder = new TemporaryFolder();
        string marker = folder.File("evaluated");
        string path = folder.File("eval.pth");
        WritePickle(path, new PickleWriter().Proto().Global("builtins", "eval")
            .Mark().Value($"open(r'{marker}', 'w').close()").Tuple().Reduce().Stop());

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.ForbiddenGlobal, error.Problem);
        Assert.Contains("'builtins.eval'", error.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void ClassNamedThroughStackGlobal_IsRefused()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("whole_model.pth");
        // What torch.save(model) writes for the model itself, in protocol 4's spelling.
        WritePickle(path, new PickleWriter().Proto(4).StackGlobal("torch.nn.modules.conv", "Conv2d").EmptyTuple().Reduce().Stop());

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.ForbiddenGlobal, error.Problem);
        Assert.Contains("'torch.nn.modules.conv.Conv2d'", error.Message);
    }

    [Fact]
    public void ForbiddenGlobalInAnEntryBesideTheStateDict_StillRefusesTheFile()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("with_args.pth");
        // {"state_dict": OrderedDict(w=tensor), "args": argparse.Namespace()}: the entry would be ignored, but
        // building it means calling the class, so the file cannot be read safely at all.
        var pickle = new PickleWriter().Proto().EmptyDict().Mark()
            .Value("state_dict").EmptyOrderedDict().Mark().Value("w").TensorRebuild("0", TensorDType.Float32, 1, 0, [1], [1]).SetItems()
            .Value("args").Global("argparse", "Namespace").EmptyTuple().Reduce()
            .SetItems().Stop();
        PthWriter.WriteArchive(path, pickle.ToArray(), [new("0", new byte[4])]);

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.ForbiddenGlobal, error.Problem);
        Assert.Contains("'argparse.Namespace'", error.Message);
    }

    [Theory]
    [InlineData("torch", "load")]
    [InlineData("torch.nn", "Module")]
    [InlineData("torch._utils", "_rebuild_parameter_with_state")]
    [InlineData("collections", "defaultdict")]
    [InlineData("__main__", "RepVGG")]
    public void AnyGlobalOffTheList_IsRefused(string module, string name)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("global.pth");
        WritePickle(path, new PickleWriter().Proto().Global(module, name).Stop());

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.ForbiddenGlobal, error.Problem);
        Assert.Contains($"'{module}.{name}'", error.Message);
    }

    [Fact]
    public void CallingAnAllowedStorageClass_IsUnreadableNotExecuted()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("call_storage.pth");
        WritePickle(path, new PickleWriter().Proto().Global("torch", "FloatStorage").Mark().Value(10).Tuple().Reduce().Stop());

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.Unreadable, error.Problem);
        Assert.Contains("calls torch.FloatStorage", error.Message);
    }

    private static void WritePickle(string path, PickleWriter pickle) => PthWriter.WriteArchive(path, pickle.ToArray(), []);
}
