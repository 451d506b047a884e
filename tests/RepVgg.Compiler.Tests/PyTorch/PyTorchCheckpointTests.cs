using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;
using RepVgg.Testing;
using Xunit.Sdk;

namespace RepVgg.Compiler.Tests.PyTorch;

/// <summary>
/// Checkpoints as users save them, written by real PyTorch (Debian's python3-torch) for this run: the
/// compiled network (CPU backend) must give PyTorch's own float64 logits to relative L2 1e-5 and the
/// same top-1 class for every image.
/// </summary>
public sealed class PyTorchCheckpointTests(PyTorchCheckpoints checkpoints) : IClassFixture<PyTorchCheckpoints>
{
    /// <summary>Cases write_checkpoints.py writes that compile; see its named_cases for how each is saved.</summary>
    public static TheoryData<string> CompilingCases => new(
        "official-train", "timm-train", "timm-train-ema", "bare", "model-wrapped", "half", "bfloat16",
        "non-contiguous", "shared-storage", "legacy", "official-deploy", "timm-deploy", "stride1-stem",
        // Squeeze-and-excitation (issue #26): RepVGG-D2se's before the ReLU, official and timm names, and RepVGGplus-L2pse's
        // after it in its split-stage layout with auxiliary classifiers; non-square inputs pool the whole map.
        "d2se-train", "d2se-deploy", "d2se-timm-train", "d2se-timm-deploy", "d2se-nonsquare", "d2se-full-width",
        "plus-train", "plus-deploy", "plus-nonsquare");

    [PyTorchTheory]
    [MemberData(nameof(CompilingCases))]
    public void Checkpoint_CompilesToPyTorchsLogits(string name)
    {
        PyTorchCase c = checkpoints[name];

        string? failure = Compare(c);

        Assert.True(failure is null, failure);
    }

    [PyTorchFact]
    public void RandomArchitectures_CompileToPyTorchsLogits()
    {
        var failures = PyTorchCheckpoints.RandomSeeds
            .Select(seed => checkpoints[$"random-{seed}"])
            .Select(c => Compare(c) is { } failure
                ? $"{failure}\n  reproduce: python3 {PyTorchCheckpoints.Script} <folder> --no-named --random-seeds {c.Name["random-".Length..]}, " +
                  $"or REPVGG_PYTORCH_SEEDS={c.Name["random-".Length..]} dotnet test --filter {nameof(RandomArchitectures_CompileToPyTorchsLogits)}"
                : null)
            .OfType<string>()
            .ToList();

        Assert.True(failures.Count == 0, $"{failures.Count} of {PyTorchCheckpoints.RandomSeeds.Count} random architectures failed:\n" + string.Join("\n", failures));
    }

    [PyTorchFact]
    public void OfficialTrainingCheckpoint_SkipsTheSchedulersObjectsWithOneWarning()
    {
        CompiledModel model = WeightsStep.Compile(checkpoints["official-train"].Checkpoint, EverythingGiven(checkpoints["official-train"]));

        CompilerDiagnostic skipped = Assert.Single(model.Warnings);
        Assert.Equal(DiagnosticIds.SkippedPythonObjects, skipped.Id);
        // The optimizer's state_dict is plain dicts, lists and tensors; OneCycleLR's pickles its bound
        // annealing method through builtins.getattr, and with it the scheduler and the optimizer objects.
        Assert.Contains("in 1 entry 'scheduler'", skipped.Message);
        Assert.Contains("'torch.optim.lr_scheduler.OneCycleLR'", skipped.Message);
        Assert.Contains("getattr'", skipped.Message);
    }

    [PyTorchFact]
    public void TimmTrainingCheckpoint_CompilesStateDictAndSaysAnEmaCopyWasLeft()
    {
        CompiledModel model = WeightsStep.Compile(checkpoints["timm-train"].Checkpoint, EverythingGiven(checkpoints["timm-train"]));

        Assert.Equal(["RVG0019", "RVG0020"], model.Warnings.Select(w => w.Id).Order());
        Assert.Contains("'argparse.Namespace'", model.Warnings.Single(w => w.Id == DiagnosticIds.SkippedPythonObjects).Message);
        Assert.Contains("StateDictKey=\"state_dict_ema\"", model.Warnings.Single(w => w.Id == DiagnosticIds.UnchosenEma).Message);
    }

    [PyTorchFact]
    public void TimmTrainingCheckpoint_WithStateDictKeyEma_HasNoEmaWarning()
    {
        PyTorchCase c = checkpoints["timm-train-ema"];

        CompiledModel model = WeightsStep.Compile(c.Checkpoint, c.Options);

        Assert.DoesNotContain(model.Warnings, w => w.Id == DiagnosticIds.UnchosenEma);
    }

    [PyTorchFact]
    public void StateDictKeyTheFileLacks_IsAnErrorListingItsEntries()
    {
        var error = Assert.Throws<CompilationException>(() =>
            WeightsStep.Compile(checkpoints["timm-train"].Checkpoint, new CompileOptions { StateDictKey = "model_ema" }));

        Assert.Equal(DiagnosticIds.StateDictKeyNotFound, error.Diagnostic.Id);
        Assert.Contains("'state_dict_ema'", error.Message);
    }

    [PyTorchFact]
    public void WholePickledModule_IsRefusedShowingTheLineThatSavesItsStateDict()
    {
        PyTorchCase c = checkpoints["whole-module"];

        var error = Assert.Throws<CompilationException>(() => WeightsStep.Compile(c.Checkpoint));

        Assert.Equal(c.Expect, error.Diagnostic.Id);
        Assert.Contains("(__main__.RepVGG)", error.Message);
        Assert.Contains("torch.save(model.state_dict(), 'whole-module-state_dict.pth')", error.Message);
    }

    [PyTorchFact]
    public void StrideOneStem_WithoutStridesMetadata_IsADifferentNetwork()
    {
        PyTorchCase c = checkpoints["stride1-stem"];

        // The tensors alone cannot tell the stride: with RepVGG's default the network compiles, but to other logits.
        string? failure = Compare(c with { Options = c.Options with { Strides = null } });

        Assert.NotNull(failure);
    }

    /// <summary>
    /// The case's metadata with its strides given even where they are RepVGG's, as a project that sets everything
    /// does: the named cases are custom networks, so otherwise RVG0028 joins the warnings under test.
    /// </summary>
    private static CompileOptions EverythingGiven(PyTorchCase c) => c.Options with { Strides = c.Options.Strides ?? [2, 2, 2, 2, 2] };

    /// <summary>Compiles a case and runs it on its input; null when it matches PyTorch, else what differs.</summary>
    private static string? Compare(PyTorchCase c)
    {
        CompiledModel model;
        try
        {
            model = WeightsStep.Compile(c.Checkpoint, c.Options);
        }
        catch (CompilationException e)
        {
            return $"{c.Name} ({c.Description}): {e.Diagnostic.ToMSBuildLine()}";
        }
        float[] logits = CompiledNetwork.Infer(model, c.Images!, c.Shape[2], c.Shape[3]);
        try
        {
            NumericAssert.Close(c.Logits!, logits, NumericAssert.Float32Tolerance, $"{c.Name} ({c.Description})", [c.Shape[0], c.Classes]);
        }
        catch (XunitException e)
        {
            return e.Message;
        }
        for (int image = 0; image < c.Shape[0]; image++)
        {
            int expected = ArgMax(c.Logits.AsSpan(image * c.Classes, c.Classes)), found = ArgMax(logits.AsSpan(image * c.Classes, c.Classes));
            if (expected != found)
                return $"{c.Name} ({c.Description}): image {image} is class {found}, PyTorch says {expected}.";
        }
        return null;
    }

    private static int ArgMax<T>(ReadOnlySpan<T> values) where T : IComparable<T>
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i].CompareTo(values[best]) > 0) best = i;
        return best;
    }
}
