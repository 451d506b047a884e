using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace RepVgg.Runtime.Benchmarks;

/// <summary>
/// What an application pays before its first result on the CPU: <c>Create</c> on a blob no engine in the process has
/// read yet (a compact blob's Winograd layers are transformed then, once per process and blob), and
/// <c>Create</c> followed by the first <c>Infer</c> at batch 1 (whose activation buffers are allocated then), for each
/// blob layout, with the blob in memory (as an embedded one is mapped with its assembly) or in a file beside the
/// application (<c>Embed="false"</c>: mapped and checked against its SHA-256 first). The steady-state <c>Infer</c> is
/// <see cref="CpuVersusOnnxRuntime"/>'s. Each invocation makes a new <see cref="ModelWeights"/>, so no invocation finds an
/// earlier one's transforms.
/// </summary>
[Config(typeof(Configuration))]
public class EngineCreation
{
    private BenchmarkModel? _model;
    private float[] _image = [], _logits = [];

    /// <summary>The published variant: A0, B1, and B3, the largest (its synthetic checkpoint takes minutes the first time).</summary>
    [Params("A0", "B1", "B3")]
    public string Model { get; set; } = "A0";

    /// <summary>How the blob holds the weights.</summary>
    [Params(WeightsLayout.Compact, WeightsLayout.Prepacked)]
    public WeightsLayout Layout { get; set; }

    /// <summary>Where the blob is: in memory, or in a file beside the application.</summary>
    [Params(false, true)]
    public bool FromFile { get; set; }

    private string _file = "";

    [GlobalSetup]
    public void Setup()
    {
        _model = BenchmarkModel.Load(Model, Layout);
        _image = _model.Images(1);
        _logits = new float[_model.Manifest.Head.Classes];
        _file = Path.Combine(Path.GetTempPath(), $"repvgg-benchmark-{Model}-{Layout}.weights.bin");
        if (FromFile)
            File.WriteAllBytes(_file, System.Runtime.InteropServices.MemoryMarshal.AsBytes(_model.Blob.AsSpan()).ToArray());
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_file);

    private ModelWeights Weights() => FromFile
        ? ModelWeights.FromFile(_file, _model!.Blob.LongLength, _model.Manifest.Blob.Sha256, Layout)
        : _model!.Weights();

    [Benchmark(Description = "Create")]
    public void Create()
    {
        using InferenceEngine engine = InferenceEngine.Create(Backend.Cpu, _model!.Layout, Weights());
    }

    [Benchmark(Description = "Create + first Infer")]
    public void CreateAndFirstInfer()
    {
        NetworkLayout layout = _model!.Layout;
        using InferenceEngine engine = InferenceEngine.Create(Backend.Cpu, layout, Weights());
        engine.BeginBatch(_image, _logits);
        foreach (Conv3x3Layer layer in layout.Layers)
            engine.Conv3x3BiasRelu(layer);
        engine.GlobalAveragePoolLinear(layout.Head, _logits);
    }

    /// <summary>Rows grouped by model and layout.</summary>
    private sealed class Configuration : ManualConfig
    {
        public Configuration() => AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByParams);
    }
}
