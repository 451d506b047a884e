using RepVgg.Compiler.Writing;

namespace RepVgg.Checkpoints.Tests;

/// <summary>
/// Pickles that would run code or build arbitrary objects under torch.load: nothing they ask for ever
/// happens. What is built from a global off the allow-list is an inert placeholder; a file whose state
/// dict or tensors need one is refused, naming the global, and anything else built from one is skipped.
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
    public void OsSystemThroughInst_IsRefusedAndNeverRuns()
    {
        using var folder = new TemporaryFolder();
        string marker = folder.File("pwned");
        string path = folder.File("inst.pth");
        WritePickle(path, new PickleWriter().Mark().Value($"touch {marker}").Inst("os", "system").Stop());

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.ForbiddenGlobal, error.Problem);
        Assert.Contains("'os.system'", error.Message);
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
    public void ObjectInAnEntryBesideTheStateDict_IsSkippedInertWithOneWarning()
    {
        using var folder = new TemporaryFolder();
        string marker = folder.File("constructed");
        string path = folder.File("with_args.pth");
        // {"state_dict": OrderedDict(w=tensor), "args": argparse.Namespace(), "hook": os.system("touch marker")}:
        // nothing the network needs, so both are read as inert placeholders, never called, and skipped.
        var pickle = new PickleWriter().Proto().EmptyDict().Mark()
            .Value("state_dict").EmptyOrderedDict().Mark().Value("w").TensorRebuild("0", TensorDType.Float32, 1, 0, [1], [1]).SetItems()
            .Value("args").Global("argparse", "Namespace").EmptyTuple().Reduce()
            .Value("hook").Global("os", "system").Mark().Value($"touch {marker}").Tuple().Reduce()
            .SetItems().Stop();
        PthWriter.WriteArchive(path, pickle.ToArray(), [new("0", BitConverter.GetBytes(1.5f))]);

        StateDict state = CheckpointReader.Read(path);

        Assert.Equal(1.5, Assert.Single(state.Values).ToDoubleArray().Single());
        CheckpointWarning warning = Assert.Single(state.Warnings);
        Assert.Equal(CheckpointWarningKind.SkippedObjects, warning.Kind);
        Assert.Contains("2 entries 'args', 'hook'", warning.Message);
        Assert.Contains("2 globals: 'argparse.Namespace', 'os.system'", warning.Message);
        Assert.False(File.Exists(marker));
    }

    [Theory]
    [InlineData(null, "state_dict", true)]
    [InlineData("model_ema", "model_ema", false)]
    public void EmaCopyBesideTheStateDict_IsReadOnlyWhenAskedForAndOtherwiseNamedInAWarning(string? key, string read, bool warns)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("ema.pth");
        // {"state_dict": {w: 1.0}, "model_ema": {w: 2.0}}, as training scripts with an EMA save them.
        var pickle = new PickleWriter().Proto().EmptyDict().Mark()
            .Value("state_dict").EmptyOrderedDict().Mark().Value("w").TensorRebuild("0", TensorDType.Float32, 1, 0, [1], [1]).SetItems()
            .Value("model_ema").EmptyOrderedDict().Mark().Value("w").TensorRebuild("1", TensorDType.Float32, 1, 0, [1], [1]).SetItems()
            .SetItems().Stop();
        PthWriter.WriteArchive(path, pickle.ToArray(), [new("0", BitConverter.GetBytes(1f)), new("1", BitConverter.GetBytes(2f))]);

        StateDict state = CheckpointReader.Read(path, key);

        Assert.Equal(read == "state_dict" ? 1.0 : 2.0, state["w"].ToDoubleArray().Single());
        Assert.Equal(warns, state.Warnings.Any(w => w.Kind == CheckpointWarningKind.UnchosenEma && w.Message.Contains("StateDictKey=\"model_ema\"")));
    }

    [Fact]
    public void TensorBuiltByAGlobalOffTheList_RefusesTheFileNamingTensorAndGlobal()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("subclass.pth");
        // A state_dict entry made by an unknown global instead of _rebuild_tensor_v2: the network would depend on it.
        var pickle = new PickleWriter().Proto().EmptyOrderedDict().Mark()
            .Value("w").TensorRebuild("0", TensorDType.Float32, 1, 0, [1], [1])
            .Value("b").Global("my_tensors", "rebuild_fancy").Mark().Value(1).Tuple().Reduce()
            .SetItems().Stop();
        PthWriter.WriteArchive(path, pickle.ToArray(), [new("0", new byte[4])]);

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.ForbiddenGlobal, error.Problem);
        Assert.Equal("b", error.Tensor);
        Assert.Contains("Tensor 'b'", error.Message);
        Assert.Contains("'my_tensors.rebuild_fancy'", error.Message);
    }

    [Fact]
    public void TensorWhoseStorageOffsetComesFromAnUnknownGlobal_IsRefused()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("offset.pth");
        // _rebuild_tensor_v2(storage, builtins.int("0"), ...): the view depends on an object the reader never builds.
        var pickle = new PickleWriter().Proto().EmptyOrderedDict().Mark().Value("w")
            .Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Value("storage").Global("torch", "FloatStorage").Value("0").Value("cpu").Value(1).Tuple().PersistentId()
            .Global("builtins", "int").Mark().Value("0").Tuple().Reduce()
            .Mark().Value(1).Tuple().Mark().Value(1).Tuple().Value(false).EmptyOrderedDict().Tuple().Reduce()
            .SetItems().Stop();
        PthWriter.WriteArchive(path, pickle.ToArray(), [new("0", new byte[4])]);

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.ForbiddenGlobal, error.Problem);
        Assert.Contains("'builtins.int'", error.Message);
    }

    [Fact]
    public void PickledModule_IsRefusedShowingTheLineThatSavesItsStateDict()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("model.pth");
        // torch.save(model): NEWOBJ of the module's class, then BUILD with its __dict__.
        var pickle = new PickleWriter().Proto().Global("__main__", "RepVGG").EmptyTuple().NewObj()
            .EmptyDict().Mark().Value("training").Value(false).Value("_parameters").EmptyOrderedDict().Value("_modules").EmptyOrderedDict().SetItems()
            .Build().Stop();
        PthWriter.WriteArchive(path, pickle.ToArray(), []);

        var error = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));

        Assert.Equal(CheckpointProblem.WholeModule, error.Problem);
        Assert.Contains("(__main__.RepVGG)", error.Message);
        Assert.Contains("torch.save(model.state_dict(), 'model-state_dict.pth')", error.Message);
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
