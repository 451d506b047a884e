using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;

namespace RepVgg.Runtime.Benchmarks;

/// <summary>
/// Our CPU backend against ONNX Runtime on the same fused network (the exported model), per
/// model and batch at 224 x 224. ONNX Runtime is the baseline, so Ratio is our time over its
/// time (below 1: we are faster). Each case runs in its own block: ORT's worker threads keep
/// spinning for a while after a call, so the two are never interleaved. In-process (Program adds
/// <c>--inProcess</c>), so the first run's synthesized models are loaded once and <c>--job short</c> still applies.
/// </summary>
[Config(typeof(Configuration))]
public class CpuVersusOnnxRuntime
{
    private CpuNetworkRunner? _ours;
    private OnnxRuntimeRunner? _onnxRuntime;

    /// <summary>The published variant: A0 (2.72 GFLOP per image), B1 (23.63) or D2se (65.65, with squeeze-and-excitation).</summary>
    [Params("A0", "B1", "D2se")]
    public string Model { get; set; } = "A0";

    /// <summary>Images per call.</summary>
    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup(Target = nameof(Ours))]
    public void SetupOurs()
    {
        BenchmarkModel model = BenchmarkModel.Load(Model);
        _ours = new CpuNetworkRunner(model, model.Images(Batch), new float[Batch * model.Manifest.Head.Classes]);
        _ours.Run(); // sizes the activation buffers for this batch
    }

    [GlobalSetup(Target = nameof(OnnxRuntime))]
    public void SetupOnnxRuntime()
    {
        BenchmarkModel model = BenchmarkModel.Load(Model);
        _onnxRuntime = new OnnxRuntimeRunner(model.OnnxPath, model.Images(Batch), new float[Batch * model.Manifest.Head.Classes],
            [Batch, model.Manifest.InputChannels, BenchmarkModel.Height, BenchmarkModel.Width], model.Manifest.Head.Classes);
        _onnxRuntime.Run();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ours?.Dispose();
        _onnxRuntime?.Dispose();
        (_ours, _onnxRuntime) = (null, null);
    }

    [Benchmark(Description = "RepVgg CPU")]
    public void Ours() => _ours!.Run();

    [Benchmark(Baseline = true, Description = "ONNX Runtime")]
    public void OnnxRuntime() => _onnxRuntime!.Run();

    /// <summary>Median beside the mean, and GFLOP/s; rows grouped by model and batch, the baseline first.</summary>
    private sealed class Configuration : ManualConfig
    {
        public Configuration()
        {
            AddColumn(StatisticColumn.Median, new GflopsColumn());
            AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByParams);
            WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
        }
    }
}
