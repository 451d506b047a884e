using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RepVgg.Runtime.Benchmarks;

/// <summary>
/// Where the time goes, layer by layer, for a published variant (RepVGG-A0, RepVGG-D2se) at batch 1 and 224 x 224:
/// ours from a Stopwatch around each <see cref="InferenceEngine.Conv3x3BiasRelu"/> call, ONNX Runtime's from
/// its profiler (the JSON trace's per-node kernel times; ORT fuses each Relu into its Conv). Both
/// are medians over <see cref="Runs"/> runs after <see cref="Warmup"/> warm-up runs. For a network with
/// squeeze-and-excitation, a second engine runs the same layers without their units, in turns with the first, and
/// the difference of the two medians is each unit's cost. Writes a markdown table.
/// </summary>
internal static class LayerTimings
{
    private const int Warmup = 5, Runs = 30;

    public static int Run(string modelName, string outputPath)
    {
        BenchmarkModel model = BenchmarkModel.Load(modelName);
        // Compiling left the float64 network behind: collect it now, not in a background GC that takes a core mid-measurement.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        float[] images = model.Images(1);
        var logits = new float[model.Manifest.Head.Classes];

        bool squeezes = model.Layout.Layers.Any(layer => layer.Squeeze is not null);
        (double[][] ours, double[] oursBegin, double[] oursHead, double[] oursTotal, double[][]? convOnly) = TimeOurs(model, images, logits, squeezes);
        (Dictionary<string, List<double>> nodes, List<double> ortTotal, Dictionary<string, string> opTypes) = TimeOnnxRuntime(model, images, logits);

        IReadOnlyList<Conv3x3Layer> layers = model.Layout.Layers;
        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');
        Line($"# Per-layer CPU times: {model.Variant.Name}, batch 1, {BenchmarkModel.Height} x {BenchmarkModel.Width}");
        Line("");
        Line($"Measured {DateTime.UtcNow:yyyy-MM-dd} on {MachineInfo.CpuModel} ({Environment.ProcessorCount} logical cores; SIMD flags: {MachineInfo.SimdFlags}).");
        Line($"Our kernel width: {MachineInfo.KernelWidth}. .NET {Environment.Version}; ONNX Runtime {Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString()} " +
             $"(ORT_ENABLE_ALL, {Environment.ProcessorCount} intra-op threads, sequential).");
        Line("");
        Line($"Ours: a Stopwatch around each `engine.Conv3x3BiasRelu(layer)` call. ONNX Runtime: its profiler's kernel time per node " +
             $"(`SessionOptions.EnableProfiling`, `Node` events, `dur`); ORT fuses each Relu into its Conv. Medians of {Runs} runs after a second of warm-up and {Warmup} more runs. " +
             "ORT's whole-run time is measured with its profiler on, which adds overhead of its own: for whole-network latency use the BenchmarkDotNet table " +
             "(`--filter '*CpuVersusOnnxRuntime*'`). Single runs on a shared virtual machine vary a lot; compare the columns, not one number.");
        Line("");
        if (squeezes)
            Line("Squeeze-and-excitation: \"ours ms\" is the layer with its unit; \"conv ms\" the same layer without it, on a second engine run " +
                 "in turns with the first; \"SE / conv\" is the difference over the conv's time. ORT's time per layer includes its unit's nodes.");
        Line("");
        Line($"Regenerate: `dotnet run -c Release --project tests/RepVgg.Runtime.Benchmarks -- --layers {modelName}`");
        Line("");
        Line(squeezes
            ? "| layer | Cin -> Cout, input -> output, stride, groups | our algorithm | MFLOP | ours ms | conv ms | SE / conv | ORT ms | ours / ORT |"
            : "| layer | Cin -> Cout, input -> output, stride, groups | our algorithm | MFLOP | ours ms | ORT ms | ours / ORT |");
        Line(squeezes ? "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |" : "| --- | --- | --- | ---: | ---: | ---: | ---: |");
        string Squeeze(int i) => convOnly is null ? "" : $" {F(Median(convOnly[i]), 3)} | {F((Median(ours[i]) - Median(convOnly[i])) / Median(convOnly[i]) * 100, 1)}% |";
        string Blank() => convOnly is null ? "" : " | |";
        double flopsSum = 0, oursSum = 0, ortSum = 0, convSum = 0;
        var matched = new HashSet<string>();
        for (int i = 0; i < layers.Count; i++)
        {
            Conv3x3Layer layer = layers[i];
            double mflop = Flops.Conv3x3(layer) / 1e6, oursMs = Median(ours[i]);
            string[] ortNodes = nodes.Keys.Where(n => IsNodeOf(n, layer.Name)).ToArray();
            matched.UnionWith(ortNodes);
            double? ortMs = ortNodes.Length == 0 ? null : ortNodes.Sum(n => Median(nodes[n])) / 1000;
            (flopsSum, oursSum, ortSum) = (flopsSum + mflop, oursSum + oursMs, ortSum + (ortMs ?? 0));
            convSum += convOnly is null ? 0 : Median(convOnly[i]);
            Line($"| {layer.Name} | {layer.InChannels} -> {layer.OutChannels}, {layer.InHeight}x{layer.InWidth} -> {layer.OutHeight}x{layer.OutWidth}, " +
                 $"s{layer.Stride}, g{layer.Groups} | {layer.Algorithm} | {F(mflop, 1)} | {F(oursMs, 3)} |{Squeeze(i)} {(ortMs is { } o ? F(o, 3) : "n/a")} | {(ortMs is { } r ? F(oursMs / r, 2) : "n/a")} |");
        }
        string totals = convOnly is null ? "" : $" {F(convSum, 2)} | {F((oursSum - convSum) / convSum * 100, 1)}% |";
        Line($"| **all conv layers** | | | {F(flopsSum, 0)} | {F(oursSum, 2)} |{totals} {F(ortSum, 2)} | {F(oursSum / ortSum, 2)} |");
        Line($"| ours only: `BeginBatch` (input copied into the engine's layout) | | | | {F(Median(oursBegin), 3)} |{Blank()} | |");
        Line($"| ours: `GlobalAveragePoolLinear` (pool and classifier) | | | | {F(Median(oursHead), 3)} |{Blank()} | |");
        // ORT's other nodes by operator: its layout changes around each squeeze-and-excitation come by the hundred.
        foreach (var op in nodes.Keys.Where(n => !matched.Contains(n)).GroupBy(n => opTypes.GetValueOrDefault(n, "?")))
        {
            string what = op.Count() == 1 ? $"{op.Single()} ({op.Key})" : $"{op.Key} ({op.Count()} nodes)";
            Line($"| ORT only: {what} | | | | |{Blank()} {F(op.Sum(n => Median(nodes[n])) / 1000, 3)} | |");
        }
        Line($"| **whole inference** (ours: one Infer; ORT: `model_run`) | | | | {F(Median(oursTotal), 2)} |{Blank()} {F(Median(ortTotal) / 1000, 2)} | " +
             $"{F(Median(oursTotal) / (Median(ortTotal) / 1000), 2)} |");

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
        File.WriteAllText(outputPath, text.ToString());
        Console.WriteLine(text);
        Console.WriteLine($"// Wrote {outputPath}");
        return 0;
    }

    /// <summary>
    /// Per layer, <see cref="Runs"/> times in ms; those of loading the batch, the head and the whole inference; and with
    /// <paramref name="convOnly"/>, per layer the times of the same layers without their squeeze-and-excitation, on a
    /// second engine whose runs alternate with the first's.
    /// </summary>
    private static (double[][] Layers, double[] Begin, double[] Head, double[] Total, double[][]? ConvOnly) TimeOurs(
        BenchmarkModel model, float[] images, float[] logits, bool convOnly)
    {
        using var runner = new CpuNetworkRunner(model, images, logits);
        InferenceEngine engine = runner.Engine;
        IReadOnlyList<Conv3x3Layer> layers = runner.Layout.Layers;
        double[][] times = layers.Select(_ => new double[Runs]).ToArray();
        double[] begin = new double[Runs], head = new double[Runs], total = new double[Runs];
        var clock = new Stopwatch();
        var whole = new Stopwatch();
        NetworkLayout? plain = convOnly ? runner.Layout with { Layers = [.. layers.Select(layer => layer with { Squeeze = null })] } : null;
        using InferenceEngine? plainEngine = plain is null ? null : InferenceEngine.Create(Backend.Cpu, plain, model.Weights());
        double[][]? plainTimes = plain is null ? null : layers.Select(_ => new double[Runs]).ToArray();
        // Tiered JIT replaces the kernels' first code in the background; a second of runs gives it time to finish.
        for (var warming = Stopwatch.StartNew(); warming.Elapsed.TotalSeconds < 1;)
        {
            engine.BeginBatch(images, logits);
            foreach (Conv3x3Layer layer in layers) engine.Conv3x3BiasRelu(layer);
            engine.GlobalAveragePoolLinear(runner.Layout.Head, logits);
            if (plainEngine is not null)
                RunPlain(plainEngine, plain!, images, logits, null, 0);
        }
        for (int run = 0; run < Warmup + Runs; run++)
        {
            if (plainEngine is not null)
                RunPlain(plainEngine, plain!, images, logits, run >= Warmup ? plainTimes : null, run - Warmup);
            whole.Restart();
            clock.Restart();
            engine.BeginBatch(images, logits);
            if (run >= Warmup) begin[run - Warmup] = clock.Elapsed.TotalMilliseconds;
            for (int i = 0; i < layers.Count; i++)
            {
                clock.Restart();
                engine.Conv3x3BiasRelu(layers[i]);
                clock.Stop();
                if (run >= Warmup) times[i][run - Warmup] = clock.Elapsed.TotalMilliseconds;
            }
            clock.Restart();
            engine.GlobalAveragePoolLinear(runner.Layout.Head, logits);
            whole.Stop();
            if (run >= Warmup) (head[run - Warmup], total[run - Warmup]) = (clock.Elapsed.TotalMilliseconds, whole.Elapsed.TotalMilliseconds);
        }
        return (times, begin, head, total, plainTimes);
    }

    /// <summary>One inference on the engine without squeeze-and-excitation, each layer's time in ms into <paramref name="times"/>[i][run].</summary>
    private static void RunPlain(InferenceEngine engine, NetworkLayout layout, float[] images, float[] logits, double[][]? times, int run)
    {
        var clock = new Stopwatch();
        engine.BeginBatch(images, logits);
        for (int i = 0; i < layout.Layers.Count; i++)
        {
            clock.Restart();
            engine.Conv3x3BiasRelu(layout.Layers[i]);
            clock.Stop();
            if (times is not null) times[i][run] = clock.Elapsed.TotalMilliseconds;
        }
        engine.GlobalAveragePoolLinear(layout.Head, logits);
    }

    /// <summary>
    /// ORT's per-node kernel times in microseconds (the profiler's <c>&lt;node&gt;_kernel_time</c>
    /// events, warm-up runs dropped), its whole-run times (<c>model_run</c>), and each node's operator.
    /// </summary>
    private static (Dictionary<string, List<double>> Nodes, List<double> Total, Dictionary<string, string> OpTypes) TimeOnnxRuntime(
        BenchmarkModel model, float[] images, float[] logits)
    {
        string prefix = Path.Combine(Path.GetTempPath(), $"repvgg-ort-profile-{Environment.ProcessId}");
        string trace;
        using (var runner = new OnnxRuntimeRunner(model.OnnxPath, images, logits,
                   [1, model.Manifest.InputChannels, BenchmarkModel.Height, BenchmarkModel.Width], model.Manifest.Head.Classes, prefix))
        {
            for (int run = 0; run < Warmup + Runs; run++) runner.Run();
            trace = runner.Session.EndProfiling();
        }
        var nodes = new Dictionary<string, List<double>>();
        var opTypes = new Dictionary<string, string>();
        var total = new List<double>();
        using (JsonDocument document = JsonDocument.Parse(File.ReadAllText(trace)))
        {
            JsonElement events = document.RootElement.ValueKind == JsonValueKind.Array ? document.RootElement : document.RootElement.GetProperty("traceEvents");
            foreach (JsonElement e in events.EnumerateArray())
            {
                string category = e.TryGetProperty("cat", out JsonElement c) ? c.GetString() ?? "" : "";
                string name = e.TryGetProperty("name", out JsonElement n) ? n.GetString() ?? "" : "";
                double duration = e.TryGetProperty("dur", out JsonElement d) ? d.GetDouble() : 0;
                if (category == "Session" && name == "model_run") total.Add(duration);
                if (category != "Node" || !name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
                string node = name[..^"_kernel_time".Length];
                (nodes.TryGetValue(node, out List<double>? list) ? list : nodes[node] = []).Add(duration);
                if (e.TryGetProperty("args", out JsonElement args) && args.TryGetProperty("op_name", out JsonElement op))
                    opTypes[node] = op.GetString() ?? "?";
            }
        }
        File.Delete(trace);
        // Every run records each node once: the first Warmup entries are the warm-up runs.
        foreach (List<double> list in nodes.Values) list.RemoveRange(0, Math.Min(Warmup, list.Count));
        total.RemoveRange(0, Math.Min(Warmup, total.Count));
        return (nodes, total, opTypes);
    }

    /// <summary>
    /// Whether ORT node <paramref name="node"/> computes <paramref name="layer"/>. The export names the Conv
    /// <c>stage1.0</c>, its Relu <c>stage1.0.relu</c> and the Relu's output <c>stage1.0.output</c>; ORT's
    /// optimizer fuses the pair and, in its NCHWc layout, names the result after that output
    /// (<c>stage1.0.output_nchwc</c>). The trailing dot keeps <c>stage3.1</c> from matching <c>stage3.10</c>.
    /// </summary>
    private static bool IsNodeOf(string node, string layer) =>
        node == layer || node.StartsWith(layer + ".", StringComparison.Ordinal) || node.StartsWith(layer + "_", StringComparison.Ordinal);

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
