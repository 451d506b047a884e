using RepVgg.Checkpoints;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;
using RepVgg.Compiler.Synthetic;
using RepVgg.Compiler.Writing;

namespace RepVgg.Compiler.Tests;

/// <summary>One test per diagnostic of the weights step, each from a deliberately broken file written here.</summary>
public sealed class DiagnosticTests : IDisposable
{
    // Small but complete: a stem, a downsampling block 16 -> 16, a grouped block with identity, and the head.
    private static readonly RepVggVariant Small = new("small", 16, [2], [16], 2, Classes: 4);

    /// <summary>Small's strides and an input size given, so the warnings under test are not joined by RVG0028 (Small is custom).</summary>
    private static readonly CompileOptions SmallGiven = new() { Strides = [2, 2], InputHeight = 32, InputWidth = 32 };

    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void RVG0001_missing_checkpoint()
    {
        string path = _folder.File("absent.pth");

        CompilerDiagnostic d = CompileFails(path, DiagnosticIds.CheckpointMissing);

        Assert.Equal(path, d.File);
    }

    [Fact]
    public void RVG0002_truncated_checkpoint()
    {
        string path = WritePth(Tensors());
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        CompileFails(path, DiagnosticIds.CheckpointUnreadable);
    }

    [Fact]
    public void RVG0003_unknown_key_layout()
    {
        List<TensorToWrite> tensors = Tensors().Select(t => t with { Name = "features." + t.Name }).ToList();

        CompilerDiagnostic d = CompileFails(WritePth(tensors), DiagnosticIds.UnknownKeyLayout);

        Assert.Contains("features.stage0.", d.Message);
    }

    [Fact]
    public void RVG0004_missing_branch_tensor()
    {
        List<TensorToWrite> tensors = Tensors().Where(t => t.Name != "stage1.1.rbr_1x1.bn.running_var").ToList();

        CompilerDiagnostic d = CompileFails(WritePth(tensors), DiagnosticIds.MissingTensor);

        Assert.Contains("'stage1.1.rbr_1x1.bn.running_var'", d.Message);
    }

    [Fact]
    public void RVG0004_missing_classifier()
    {
        List<TensorToWrite> tensors = Tensors().Where(t => !t.Name.StartsWith("linear.", StringComparison.Ordinal)).ToList();

        CompilerDiagnostic d = CompileFails(WritePth(tensors), DiagnosticIds.MissingTensor);

        Assert.Contains("'linear.weight'", d.Message);
    }

    [Fact]
    public void RVG0005_shape_mismatch_between_branches()
    {
        List<TensorToWrite> tensors = Replace(Tensors(), "stage1.0.rbr_dense.bn.weight", new float[15], 15);

        CompilerDiagnostic d = CompileFails(WritePth(tensors), DiagnosticIds.ShapeMismatch);

        Assert.Contains("'stage1.0.rbr_dense.bn.weight' has shape (15); expected (16)", d.Message);
    }

    [Fact]
    public void RVG0005_classifier_does_not_follow_the_last_block()
    {
        List<TensorToWrite> tensors = Replace(Tensors(), "linear.weight", new float[4 * 12], 4, 12);

        CompilerDiagnostic d = CompileFails(WritePth(tensors), DiagnosticIds.ShapeMismatch);

        Assert.Contains("'linear.weight' has shape (4, 12); expected (classes, 16)", d.Message);
    }

    [Fact]
    public void RVG0005_classifier_with_no_classes()
    {
        List<TensorToWrite> tensors = Replace(Tensors(), "linear.weight", [], 0, 16);
        tensors = Replace(tensors, "linear.bias", [], 0);

        CompilerDiagnostic d = CompileFails(WritePth(tensors), DiagnosticIds.ShapeMismatch);

        Assert.Contains("no classes", d.Message);
    }

    [Fact]
    public void RVG0006_branches_with_different_groups()
    {
        // stage1.1 is grouped (2 groups of 8); make its 1x1 branch dense.
        List<TensorToWrite> tensors = Replace(Tensors(), "stage1.1.rbr_1x1.conv.weight", new float[16 * 16], 16, 16, 1, 1);

        CompilerDiagnostic d = CompileFails(WritePth(tensors), DiagnosticIds.InconsistentGroupsOrStride);

        Assert.Contains("implies 2 groups", d.Message);
        Assert.Contains("implies 1", d.Message);
    }

    [Fact]
    public void RVG0006_identity_on_a_downsampling_block()
    {
        // stage1.0 is 16 -> 16 but downsamples; give it an identity branch copied from stage1.1.
        List<TensorToWrite> tensors = Tensors();
        tensors.AddRange(tensors.Where(t => t.Name.StartsWith("stage1.1.rbr_identity.", StringComparison.Ordinal))
            .Select(t => t with { Name = t.Name.Replace("stage1.1.", "stage1.0.") }).ToList());

        CompilerDiagnostic d = CompileFails(WritePth(tensors), DiagnosticIds.InconsistentGroupsOrStride);

        Assert.Contains("'stage1.0' has an identity branch", d.Message);
        Assert.Contains("stride 2", d.Message);
    }

    [Fact]
    public void RVG0007_nan_in_weights()
    {
        List<TensorToWrite> tensors = Tensors();
        float[] values = Values(tensors, "stage1.1.rbr_dense.conv.weight");
        values[37] = float.NaN;
        tensors = Replace(tensors, "stage1.1.rbr_dense.conv.weight", values, 16, 8, 3, 3);

        CompilerDiagnostic d = CompileFails(WritePth(tensors), DiagnosticIds.NonFiniteValue);

        Assert.Contains("'stage1.1.rbr_dense.conv.weight'", d.Message);
        Assert.Contains("NaN at flat index 37", d.Message);
    }

    [Fact]
    public void RVG0007_infinity_in_a_safetensors_file()
    {
        List<TensorToWrite> tensors = Tensors();
        float[] values = Values(tensors, "linear.bias");
        values[2] = float.PositiveInfinity;

        CompilerDiagnostic d = CompileFails(WriteSafetensors(Replace(tensors, "linear.bias", values, 4)), DiagnosticIds.NonFiniteValue);

        Assert.Contains("'linear.bias'", d.Message);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.5f)]
    public void RVG0008_non_positive_running_variance(float variance)
    {
        List<TensorToWrite> tensors = Tensors();
        float[] values = Values(tensors, "stage1.1.rbr_identity.running_var");
        values[5] = variance;

        CompilerDiagnostic d = CompileFails(WritePth(Replace(tensors, "stage1.1.rbr_identity.running_var", values, 16)), DiagnosticIds.NonPositiveVariance);

        Assert.Contains("'stage1.1.rbr_identity.running_var'", d.Message);
        Assert.Contains("at index 5", d.Message);
    }

    [Fact]
    public void RVG0009_unsupported_dtype()
    {
        List<TensorToWrite> tensors = Tensors();
        int index = tensors.FindIndex(t => t.Name == "stage0.rbr_dense.bn.weight");
        tensors[index] = new TensorToWrite(tensors[index].Name, TensorDType.Int32, [16], new byte[16 * 4]);

        CompilerDiagnostic d = CompileFails(WriteSafetensors(tensors), DiagnosticIds.UnsupportedDType);

        Assert.Contains("stage0.rbr_dense.bn.weight", d.Message);
    }

    [Fact]
    public void RVG0010_forbidden_pickle_global()
    {
        // The classic payload: os.system("...") through REDUCE.
        byte[] pickle = new PickleWriter().Proto().Global("os", "system").Mark().Value("touch pwned").Tuple().Reduce().Stop().ToArray();
        string path = _folder.File("hostile.pth");
        PthWriter.WriteArchive(path, pickle, []);

        CompilerDiagnostic d = CompileFails(path, DiagnosticIds.ForbiddenPickleGlobal);

        Assert.Contains("os.system", d.Message);
        Assert.False(File.Exists("touch pwned"));
    }

    [Fact]
    public void RVG0012_unused_tensor_is_a_warning()
    {
        List<TensorToWrite> tensors = Tensors();
        tensors.Add(TensorToWrite.FromFloats("stage1.1.attn.fc1.weight", [4, 16], new float[64]));

        CompiledModel model = WeightsStep.Compile(WritePth(tensors), SmallGiven);

        CompilerDiagnostic d = Assert.Single(model.Warnings);
        Assert.Equal((DiagnosticIds.UnusedTensor, DiagnosticSeverity.Warning), (d.Id, d.Severity));
        Assert.Contains("'stage1.1.attn.fc1.weight' (4, 16)", d.Message);
    }

    [Fact]
    public void RVG0012_thousands_of_unused_tensors_are_ten_warnings_and_a_count()
    {
        List<TensorToWrite> tensors = Tensors();
        tensors.AddRange(Enumerable.Range(0, 1000).Select(i => TensorToWrite.FromFloats($"aux.{i}.weight", [1], [0f])));

        CompiledModel model = WeightsStep.Compile(WritePth(tensors), SmallGiven);

        Assert.Equal(11, model.Warnings.Count);
        Assert.Contains("990 more tensors are not used", model.Warnings[^1].Message);
    }

    [Fact]
    public void RVG0012_names_with_control_characters_print_on_one_line()
    {
        List<TensorToWrite> tensors = Tensors();
        tensors.Add(TensorToWrite.FromFloats("aux\nProgram.cs(1,1): error CS0000: forged", [1], [0f]));

        CompilerDiagnostic d = Assert.Single(WeightsStep.Compile(WritePth(tensors), SmallGiven).Warnings);

        Assert.DoesNotContain('\n', d.ToMSBuildLine());
        Assert.Contains("'aux\\nProgram.cs(1,1): error CS0000: forged'", d.ToMSBuildLine());
    }

    [Fact]
    public void RVG0013_variant_mismatch()
    {
        CompilerDiagnostic d = CompileFails(WritePth(Tensors()), DiagnosticIds.VariantMismatch, expectedVariant: "A0");

        Assert.Contains("Expected RepVGG-A0", d.Message);
        Assert.Contains("found a custom RepVGG", d.Message);
    }

    [Fact]
    public void RVG0032_variant_that_is_no_published_one()
    {
        CompilerDiagnostic d = CompileFails(WritePth(Tensors()), DiagnosticIds.UnknownVariant, expectedVariant: "A9");

        Assert.Contains("Variant 'A9' is not a published RepVGG variant; expected one of RepVGG-A0,", d.Message);
    }

    [Theory]
    [InlineData("1,2,2", "Strides lists 3 values (1,2,2); this checkpoint has 2 stages")]
    [InlineData("1,3", "expected 1 or 2 for each stage")]
    [InlineData("1;2", "Strides is '1;2'")]
    public void RVG0016_strides_that_do_not_fit(string strides, string message)
    {
        string path = WritePth(Tensors());

        var error = Assert.Throws<CompilationException>(() =>
            WeightsStep.Compile(path, new CompileOptions { Strides = CompileOptions.ParseStrides(strides, path) }));

        Assert.Equal(DiagnosticIds.InvalidStrides, error.Diagnostic.Id);
        Assert.Equal(path, error.Diagnostic.File);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void RVG0016_stride_one_stem_changes_the_network()
    {
        // A state dict does not store strides: RepVGG downsamples in the stem by default, Strides="1,2" keeps its resolution.
        string path = WritePth(Tensors());

        ModelManifest strided = WeightsStep.Compile(path).Manifest;
        ModelManifest stem1 = WeightsStep.Compile(path, new CompileOptions { Strides = [1, 2] }).Manifest;

        Assert.Equal([2, 2, 1], strided.Layers.Select(l => l.Stride));
        Assert.Equal([1, 2, 1], stem1.Layers.Select(l => l.Stride));
    }

    [Fact]
    public void RVG0017_whole_pickled_module()
    {
        // torch.save(model): the module's class through NEWOBJ, then BUILD with a module's __dict__.
        byte[] pickle = new PickleWriter().Proto().Global("__main__", "RepVGG").EmptyTuple().NewObj()
            .EmptyDict().Mark().Value("_parameters").EmptyOrderedDict().Value("_modules").EmptyOrderedDict().SetItems().Build().Stop().ToArray();
        string path = _folder.File("RepVGG-A0.pth");
        PthWriter.WriteArchive(path, pickle, []);

        CompilerDiagnostic d = CompileFails(path, DiagnosticIds.WholeModuleCheckpoint);

        Assert.Contains("torch.save(model.state_dict(), 'RepVGG-A0-state_dict.pth')", d.Message);
    }

    [Fact]
    public void RVG0018_state_dict_key_the_file_lacks()
    {
        string path = _folder.File("wrapped.pth");
        PthWriter.Write(path, Tensors(), new PthOptions { WrapperKey = "state_dict", ExtraEntries = [new("epoch", 90)] });

        var error = Assert.Throws<CompilationException>(() => WeightsStep.Compile(path, new CompileOptions { StateDictKey = "state_dict_ema" }));

        Assert.Equal(DiagnosticIds.StateDictKeyNotFound, error.Diagnostic.Id);
        Assert.Contains("under 'state_dict_ema' (StateDictKey), but", error.Message);
        Assert.Contains("the keys 'state_dict', 'epoch'", error.Message);
    }

    [Fact]
    public void RVG0018_state_dict_key_on_a_safetensors_file()
    {
        var error = Assert.Throws<CompilationException>(() =>
            WeightsStep.Compile(WriteSafetensors(Tensors()), new CompileOptions { StateDictKey = "model" }));

        Assert.Equal(DiagnosticIds.StateDictKeyNotFound, error.Diagnostic.Id);
        Assert.Contains("safetensors file", error.Message);
    }

    [Fact]
    public void RVG0021_float64_weight_beyond_float32()
    {
        List<TensorToWrite> tensors = Tensors();
        int index = tensors.FindIndex(t => t.Name == "stage1.1.rbr_dense.conv.weight");
        double[] weight = Values(tensors, tensors[index].Name).Select(v => (double)v).ToArray();
        weight[5] = 1e39;
        tensors[index] = new TensorToWrite(tensors[index].Name, TensorDType.Float64, tensors[index].Shape,
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(weight.AsSpan()).ToArray());

        CompilerDiagnostic d = CompileFails(WriteSafetensors(tensors), DiagnosticIds.Float32Overflow);

        Assert.Contains("Block 'stage1.1'", d.Message);
        Assert.Contains("float32's range", d.Message);
    }

    [Fact]
    public void RVG0021_batchnorm_scale_that_overflows_float32_when_folded()
    {
        // Each value fits float32, but gamma / sqrt(var + eps) = 3e38 / sqrt(1e-5) = 9.5e40 scales the kernel past it.
        List<TensorToWrite> tensors = Tensors();
        tensors = Replace(tensors, "stage0.rbr_dense.bn.weight", Enumerable.Repeat(3e38f, 16).ToArray(), 16);
        tensors = Replace(tensors, "stage0.rbr_dense.bn.running_var", Enumerable.Repeat(1e-30f, 16).ToArray(), 16);

        CompilerDiagnostic d = CompileFails(WritePth(tensors), DiagnosticIds.Float32Overflow);

        Assert.Contains("Block 'stage0'", d.Message);
    }

    [Fact]
    public void RVG0022_a_network_whose_manifest_the_generator_would_refuse()
    {
        // The reader never gives blocks that do not chain; an in-memory network can, and the weights step's
        // own check of its manifest must stop it as the bug it would be, not write it for the generator.
        RepVggBlock stem = Deployed("stage0", stage: 0, inChannels: 3, outChannels: 8, stride: 2);
        RepVggBlock block = Deployed("stage1.0", stage: 1, inChannels: 4, outChannels: 4, stride: 2);
        var head = new LinearClassifier("linear", 4, 2, new double[8], new double[2]);
        var network = new TrainedNetwork(KeyLayout.Official, [stem, block], head);

        CompilationException error = Assert.Throws<CompilationException>(() =>
            WeightsStep.Pack(network, new ManifestSource("broken.pth", "", "official", "deploy"), []));

        Assert.Equal((DiagnosticIds.InternalError, DiagnosticSeverity.Error, "broken.pth"),
            (error.Diagnostic.Id, error.Diagnostic.Severity, error.Diagnostic.File));
        Assert.Contains("At $.layers[1] (stage1.0): expected 8 input channels (the output of $.layers[0] (stage0)), found 4.", error.Message);
        Assert.Contains("This is a bug in the compiler", error.Message);
    }

    private static RepVggBlock Deployed(string name, int stage, int inChannels, int outChannels, int stride) =>
        new(name, stage, 0, inChannels, outChannels, stride, 1, null, null, null,
            new FusedConv(inChannels, outChannels, 1, new double[outChannels * inChannels * 9], new double[outChannels]));

    [Fact]
    public void RVG0035_outputs_that_cannot_be_written()
    {
        CompiledModel model = WeightsStep.Compile(WritePth(Tensors()));
        // A file where the output folder should be: creating the folder fails on every platform.
        string notAFolder = _folder.File("not-a-folder");
        File.WriteAllText(notAFolder, "");
        string blob = Path.Combine(notAFolder, "model.weights.bin");

        CompilationException error = Assert.Throws<CompilationException>(() =>
            WeightsStep.WriteOutputs(model, blob, _folder.File("model.repvgg.json")));

        Assert.Equal((DiagnosticIds.OutputNotWritten, DiagnosticSeverity.Error, blob),
            (error.Diagnostic.Id, error.Diagnostic.Severity, error.Diagnostic.File));
        Assert.StartsWith($"Cannot write the blob '{blob}': ", error.Message);
        Assert.False(File.Exists(_folder.File("model.repvgg.json")));
    }

    [Fact]
    public void Twenty_thousand_blocks_are_inferred_in_linear_time()
    {
        // 20,000 one-channel blocks, 340,000 tensors: looking each block's modules up by scanning every key
        // took over a minute; indexed once, inferring the architecture takes a second or two.
        var deep = new RepVggVariant("deep", 1, [20_000], [1], 1, Classes: 2);
        StateDict tensors = InMemoryStateDict.FromTensors("deep.pth",
            SyntheticCheckpoint.ToTensors(SyntheticNetwork.Create(deep, seed: 1, calibration: null), deploy: false));
        NetworkReader? reader = null;

        Exception? error = ResourceBudget.Run(() => reader = NetworkReader.Open(tensors, []), maxBytes: 1L << 30, TimeSpan.FromSeconds(20), "20,000 blocks");

        Assert.Null(error);
        Assert.Equal(20_001, reader!.Architecture.Blocks.Count);
    }

    [Fact]
    public void Diagnostics_print_in_msbuild_canonical_format()
    {
        CompilerDiagnostic d = CompileFails(_folder.File("absent.pth"), DiagnosticIds.CheckpointMissing);

        Assert.StartsWith($"{_folder.File("absent.pth")} : error RVG0001: ", d.ToMSBuildLine());
    }

    private static List<TensorToWrite> Tensors() =>
        SyntheticCheckpoint.ToTensors(SyntheticNetwork.Create(Small, seed: 1, calibration: null), deploy: false);

    private static float[] Values(List<TensorToWrite> tensors, string name) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensors.Single(t => t.Name == name).Data.Span).ToArray();

    private static List<TensorToWrite> Replace(List<TensorToWrite> tensors, string name, float[] values, params int[] shape)
    {
        int index = tensors.FindIndex(t => t.Name == name);
        Assert.True(index >= 0, $"test bug: no tensor {name}");
        var copy = new List<TensorToWrite>(tensors);
        copy[index] = TensorToWrite.FromFloats(name, shape, values);
        return copy;
    }

    private string WritePth(List<TensorToWrite> tensors)
    {
        string path = _folder.File($"model-{Guid.NewGuid():N}.pth");
        PthWriter.Write(path, tensors);
        return path;
    }

    private string WriteSafetensors(List<TensorToWrite> tensors)
    {
        string path = _folder.File($"model-{Guid.NewGuid():N}.safetensors");
        SafetensorsWriter.Write(path, tensors);
        return path;
    }

    private static CompilerDiagnostic CompileFails(string path, string id, string? expectedVariant = null)
    {
        var error = Assert.Throws<CompilationException>(() => WeightsStep.Compile(path, new CompileOptions { Variant = expectedVariant }));
        Assert.Equal(id, error.Diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, error.Diagnostic.Severity);
        Assert.Equal(path, error.Diagnostic.File);
        return error.Diagnostic;
    }
}
