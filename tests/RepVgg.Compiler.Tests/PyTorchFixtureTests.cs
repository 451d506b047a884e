
namespace RepVgg.Compiler.Tests;

/// <summary>The checkpoint PyTorch wrote, in its three file shapes, against PyTorch's own float64 logits.</summary>
public class PyTorchFixtureTests
{
    [Theory]
    [MemberData(nameof(PyTorchFixtures.AllInputs), MemberType = typeof(PyTorchFixtures))]
    public void Unfused_float64_reference_reproduces_PyTorch(string inputName)
    {
        // Checks the reader and the reference together: only float32 weight rounding, which both share, remains.
        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput(inputName);
        CompiledModel model = WeightsStep.Compile(PyTorchFixtures.OfficialPth);

        double[] logits = CompiledNetwork.Reference(model, input.Images, input.Height, input.Width);

        NumericAssert.Close(input.Logits, logits, 1e-12, $"float64 reference on {inputName}");
    }

    public static IEnumerable<object[]> CheckpointsAndInputs =>
        from c in PyTorchFixtures.AllCheckpoints from i in PyTorchFixtures.AllInputs select new[] { c[0], i[0] };

    [Theory]
    [MemberData(nameof(CheckpointsAndInputs))]
    public void Compiled_network_matches_PyTorch_logits_and_top5(string checkpoint, string inputName)
    {
        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput(inputName);
        CompiledModel model = WeightsStep.Compile(PyTorchFixtures.Checkpoint(checkpoint));

        float[] logits = CompiledNetwork.Infer(model, input.Images, input.Height, input.Width);

        NumericAssert.Close(input.Logits, logits, 1e-5, $"{checkpoint} on {inputName}");
        for (int n = 0; n < input.Batch; n++)
            Assert.Equal(input.Top5[n], NumericAssert.TopK(logits, n, input.Classes, 5));
    }

    [Fact]
    public void All_three_files_compile_to_the_same_blob()
    {
        CompiledModel official = WeightsStep.Compile(PyTorchFixtures.OfficialPth);
        CompiledModel wrapped = WeightsStep.Compile(PyTorchFixtures.WrappedPth);
        CompiledModel timm = WeightsStep.Compile(PyTorchFixtures.TimmSafetensors);

        Assert.Equal(official.Blob, wrapped.Blob);
        Assert.Equal(official.Blob, timm.Blob);
        Assert.Equal(official.Manifest.Blob, timm.Manifest.Blob);
        Assert.Equal("official", official.Manifest.Source.KeyLayout);
        Assert.Equal("timm", timm.Manifest.Source.KeyLayout);
    }

    [Fact]
    public void Architecture_is_inferred_from_the_tensors()
    {
        // The fixture's README: blocks [2, 2, 2, 1], widths 16/16/32/64/256, groups 2 on the
        // second block of stages 1 and 2, 10 classes.
        // Everything given, so no warning: on defaults this custom network would get RVG0028.
        CompiledModel model = WeightsStep.Compile(PyTorchFixtures.OfficialPth, new CompileOptions { Strides = [2, 2, 2, 2, 2], InputHeight = 224, InputWidth = 224 });

        var blocks = model.Network.Blocks.Select(b => (b.Name, b.InChannels, b.OutChannels, b.Stride, b.Groups, string.Join("+", b.BranchNames)));
        Assert.Equal(
        [
            ("stage0", 3, 16, 2, 1, "3x3+1x1"),
            ("stage1.0", 16, 16, 2, 1, "3x3+1x1"),
            ("stage1.1", 16, 16, 1, 2, "3x3+1x1+identity"),
            ("stage2.0", 16, 32, 2, 1, "3x3+1x1"),
            ("stage2.1", 32, 32, 1, 2, "3x3+1x1+identity"),
            ("stage3.0", 32, 64, 2, 1, "3x3+1x1"),
            ("stage3.1", 64, 64, 1, 1, "3x3+1x1+identity"),
            ("stage4.0", 64, 256, 2, 1, "3x3+1x1"),
        ], blocks);
        Assert.Equal((256, 10), (model.Manifest.Head.Features, model.Manifest.Head.Classes));
        Assert.Equal("custom", model.Manifest.Variant);
        Assert.Empty(model.Warnings);
    }
}
