using System.Runtime.InteropServices;
using RepVgg.Checkpoints;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Synthetic;
using RepVgg.Compiler.Writing;

namespace RepVgg.Compiler.Tests;

/// <summary>The PyTorch fixture's network rewritten in every file shape users bring: the fused weights must not change.</summary>
public sealed class CheckpointShapeTests : IDisposable
{
    private static readonly CompiledModel Fixture = WeightsStep.Compile(PyTorchFixtures.OfficialPth);

    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static IEnumerable<object?[]> FileShapes =>
    [
        ["official.pth", "official", false, PthFormat.Torch1, null, ""],
        ["official.pth", "official", false, PthFormat.Torch2, "model", "module."],
        ["timm.pth", "timm", false, PthFormat.Torch1, "state_dict", ""],
        ["timm.safetensors", "timm", false, PthFormat.Torch2, null, ""],
        ["deploy-official.pth", "official", true, PthFormat.Torch2, null, ""],
        ["deploy-timm.safetensors", "timm", true, PthFormat.Torch2, null, ""],
    ];

    [Theory]
    [MemberData(nameof(FileShapes))]
    public void Every_file_shape_compiles_to_the_fixtures_blob(string file, string names, bool deploy, PthFormat format, string? wrapper, string prefix)
    {
        string path = _folder.File(file);
        KeyLayout layout = names == "timm" ? KeyLayout.Timm : KeyLayout.Official;
        SyntheticCheckpoint.Write(path, Fixture.Network with { Layout = layout }, deploy,
            new PthOptions { Format = format, WrapperKey = wrapper, KeyPrefix = prefix });

        // RepVGG's strides and input size given, as the fixture was compiled on them, so this custom network has no RVG0028.
        CompiledModel model = WeightsStep.Compile(path, new CompileOptions { Strides = [2, 2, 2, 2, 2], InputHeight = 224, InputWidth = 224 });

        Assert.Equal(Fixture.Blob, model.Blob);
        Assert.Equal((names, deploy ? "deploy" : "training"), (model.Manifest.Source.KeyLayout, model.Manifest.Source.Kind));
        Assert.Empty(model.Warnings);
    }

    [Theory]
    [InlineData(TensorDType.Float16, 2e-3)]
    [InlineData(TensorDType.BFloat16, 2e-2)]
    public void Half_precision_storage_compiles_and_stays_close_to_PyTorch(TensorDType dtype, double tolerance)
    {
        string path = _folder.File($"{dtype}.pth");
        PthWriter.Write(path, SyntheticCheckpoint.ToTensors(Fixture.Network, deploy: false).Select(t => t.DType == TensorDType.Float32
            ? TensorToWrite.FromFloats(t.Name, t.Shape, MemoryMarshal.Cast<byte, float>(t.Data.Span), dtype)
            : t));
        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput("x64");

        CompiledModel model = WeightsStep.Compile(path);
        float[] logits = CompiledNetwork.Infer(model, input.Images, input.Height, input.Width);

        // Exact to float32 against the same rounded weights; near PyTorch's float32 weights within the storage's precision.
        NumericAssert.Close(CompiledNetwork.Reference(model, input.Images, input.Height, input.Width), logits, 1e-5, $"{dtype} against its own reference");
        NumericAssert.Close(input.Logits, logits, tolerance, $"{dtype} against PyTorch's float32 weights");
        Assert.NotEqual(Fixture.Blob, model.Blob);
    }

    [Fact]
    public void Pruned_widths_that_vary_within_a_stage_are_inferred_and_compiled()
    {
        BlockShape[] pruned =
        [
            new(0, 0, 3, 12, 2, 1),
            new(1, 0, 12, 20, 2, 1), new(1, 1, 20, 20, 1, 2), new(1, 2, 20, 18, 1, 1),
            new(2, 0, 18, 40, 2, 1), new(2, 1, 40, 36, 1, 4), new(2, 2, 36, 36, 1, 1),
            new(3, 0, 36, 64, 2, 1),
        ];
        string path = _folder.File("pruned.pth");
        SyntheticCheckpoint.Write(path, SyntheticNetwork.Create(pruned, classes: 6, seed: 3, new(2, 40, 40)), deploy: false);
        float[] images = CompiledNetwork.RandomImages(2, 37, 41, seed: 9);

        CompiledModel model = WeightsStep.Compile(path);
        float[] logits = CompiledNetwork.Infer(model, images, 37, 41);

        Assert.Equal(pruned, model.Network.Blocks.Select(b => b.Shape));
        Assert.Equal(["3x3", "1x1", "identity"], model.Network.Blocks[2].BranchNames);
        Assert.Equal(["3x3", "1x1"], model.Network.Blocks[3].BranchNames);
        Assert.Equal("custom", model.Manifest.Variant);
        NumericAssert.Close(CompiledNetwork.Reference(model, images, 37, 41), logits, 1e-5, "pruned network at 2 x 37 x 41");
    }
}
