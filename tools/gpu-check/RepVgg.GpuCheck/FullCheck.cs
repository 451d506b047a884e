using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using RepVgg.Compiler;
using RepVgg.Compiler.Architecture;
using RepVgg.Manifest;
using RepVgg.Gpu;
using RepVgg.Gpu.Kernels;
using RepVgg.Compiler.Reference;
using RepVgg.Compiler.Synthetic;
using RepVgg.GpuCheck.Candidates;

namespace RepVgg.GpuCheck;

/// <summary>One model of the check.</summary>
/// <param name="Variant">The published variant synthesized.</param>
/// <param name="CorrectnessBatch">
/// Images checked against the float64 reference: small, because the reference is plain scalar loops (B1 at 224 x 224
/// is about 12 G multiply-adds per image).
/// </param>
/// <param name="PerLayerBatch">The batch whose layers are timed one by one, or null for none.</param>
internal sealed record ModelPlan(RepVggVariant Variant, int CorrectnessBatch, int? PerLayerBatch);

/// <summary>What the full check runs on an accelerator.</summary>
/// <param name="CalibrationImages">Synthetic images each model's BatchNorm statistics are calibrated on (<see cref="SyntheticModel.Compile"/>).</param>
/// <param name="BoundLayers">Layers <see cref="LayerBoundCheck"/> holds to the per-layer bound in each reduced precision.</param>
/// <param name="LargestBatch">
/// A batch timed once everything else has run, or null: the largest the engine must take, timed last so that a
/// failure there (the device's memory, an index) cannot cost the rest of the check its results.
/// </param>
internal sealed record CheckPlan(GpuAccelerator Accelerator, int Height, int Width, int CalibrationImages, IReadOnlyList<ModelPlan> Models,
    IReadOnlyList<Precision> Precisions, IReadOnlyList<int> Batches, int WarmUp, int Repetitions, IReadOnlyList<BoundLayer> BoundLayers,
    int? LargestBatch)
{
    /// <summary>
    /// CUDA: issue #6's table (A0 and B1 at 224 x 224, batch 1, 8 and 64, median of 30, B1's layers at batch 64), issue
    /// #26's RepVGG-D2se (its squeeze-and-excitation on every layer; its layers at batch 8), and
    /// at last batch 256, the largest the issue asks the engine to run (no anchor there), in
    /// FP32, TF32 and FP16, and A0's layers at batch 64 too (the one float32 case the first H200 run found slower than
    /// cuDNN, whose 48- and 192-channel layers the tile policy treats differently since). CPU accelerator: the same
    /// steps on A0 at 16 x 16, batch 1, each call once, so a bundle can be validated on any machine: ILGPU's CPU
    /// accelerator simulates every GPU thread (one A0 call at 16 x 16 took 25 to 35 s on 2 cores in FP32, 45 to 110 s
    /// in TF32 and FP16 with their mma emulated).
    /// </summary>
    public static CheckPlan For(GpuAccelerator accelerator) => accelerator switch
    {
        GpuAccelerator.Cuda => new(accelerator, 224, 224, CalibrationImages: 2,
            [
                new(RepVggVariant.A0, CorrectnessBatch: 2, PerLayerBatch: 64), new(RepVggVariant.B1, CorrectnessBatch: 1, PerLayerBatch: 64),
                // Issue #26: the squeeze-and-excitation network, whose every layer adds pooling, two small products and a scaling pass.
                new(RepVggVariant.D2se, CorrectnessBatch: 1, PerLayerBatch: 8),
            ],
            AllPrecisions, Batches: [1, 8, 64], WarmUp: 3, Repetitions: 30,
            // RepVGG-B1's stride-1 layers of stages 1 to 3 and its stride-2 stage 4, at 224 x 224.
            BoundLayers: [new(128, 128, 1, 1, 56), new(256, 256, 1, 1, 28), new(512, 512, 1, 1, 14), new(512, 2048, 2, 1, 14)],
            LargestBatch: 256),
        _ => new(accelerator, 16, 16, CalibrationImages: 32, [new(RepVggVariant.A0, CorrectnessBatch: 1, PerLayerBatch: 1)],
            AllPrecisions, Batches: [1], WarmUp: 0, Repetitions: 1,
            BoundLayers: [new(48, 48, 1, 1, 8), new(48, 96, 2, 2, 8)], LargestBatch: null),
    };

    private static readonly Precision[] AllPrecisions = [Precision.Fp32, Precision.Tf32, Precision.Fp16];
}

/// <summary>A model compiled for the check, with the logits its GPU results are judged by.</summary>
/// <param name="Images">The correctness batch.</param>
/// <param name="Reference">The float64 unfused reference's logits for <paramref name="Images"/>.</param>
/// <param name="CpuLogits">The CPU engine's logits for them.</param>
/// <param name="Largest">The largest activation magnitude of the CPU engine's layers on them, and the layer: FP16 holds values up to 65504.</param>
internal sealed record CheckedModel(ModelPlan Plan, NetworkLayout Network, ModelWeights Weights, float[] Images, double[] Reference, float[] CpuLogits,
    (float Value, string Layer) Largest);

/// <summary>
/// The full check: each model synthesized and compiled here and its reference logits computed once, then in each
/// precision (FP32 first, so a reduced precision that fails cannot take the float32 results with it) its GPU logits
/// checked against the float64 unfused reference and the CPU engine, then timed; then the largest batch; and last the
/// diagnostic tensor-core kernels only the check runs (<see cref="ComparisonEngine.Diagnostic"/>). Prints progress as it
/// goes and the report (Markdown) at the end.
/// </summary>
internal static class FullCheck
{
    /// <summary>FP32 bound on the GPU logits' relative L2 error against the float64 reference (issue #6).</summary>
    public const double Fp32Bound = 1e-4;

    /// <summary>
    /// TF32 and FP16 bound on the logits. Each layer's error is within <see cref="Precision"/>'s stated bound, which
    /// <see cref="LayerBoundCheck"/> checks output by output; what that makes of the logits depends on how much the
    /// network cancels. RepVGG-A0 at 16 x 16 on the CPU accelerator: 9.4e-4 in TF32 calibrated on 2 images, 8.3e-3 on
    /// 32, where even the float32 CPU engine's error grows from 8e-7 to 1.2e-5; 1.1e-2 when measured again with
    /// channels-last activations, the kernel's summing order having changed since (K tap-major, then channels last: a
    /// float32 difference that flips a TF32 rounding in the next layer moves a value by 2^-11 of itself; on the tiny
    /// PyTorch fixture both orders give 1.29e-3). 5e-2 still fails a wrong kernel, whose logits are off by the order of
    /// their size.
    /// </summary>
    public const double ReducedBound = 5e-2;

    private const ulong ImageSeed = 7;

    public static int Run(CheckPlan plan, string workFolder, string? reportPath, TextWriter log)
    {
        var report = new ReportTables();
        string? cpuDevice = null;
        bool passed = true;
        OpenDevice(plan.Accelerator, report.FirstCalls, log);
        var models = new List<CheckedModel>();
        foreach (ModelPlan model in plan.Models)
            models.Add(Prepare(model, plan, workFolder, ref cpuDevice, log));
        // So that a run cut short (a GPU machine is lent for minutes) still leaves every table it finished.
        void Save(string done)
        {
            if (reportPath is not null)
                File.WriteAllText(reportPath, report.Render(plan, cpuDevice!, passed, stillRunning: done));
        }

        // 1. The engine as a generated class gets it (and with its tiles fixed, or all direct), in each precision.
        foreach (Precision precision in plan.Precisions)
        {
            if (precision != Precision.Fp32)
                passed &= CheckLayerBound(plan, precision, LayerBoundCheck.EngineKernels, report, log);
            foreach (CheckedModel model in models)
            {
                try
                {
                    passed &= RunPrecision(model, precision, plan, report, log);
                }
                // No FP32 engine is no GPU engine at all: the check stops there (exit code 3).
                catch (Exception e) when (precision != Precision.Fp32)
                {
                    // E.g. the driver refused the tensor-core PTX, or a kernel failed: reported (exit code 1), and the rest still runs.
                    passed = false;
                    log.WriteLine($"gpu-check: {model.Plan.Variant.Name} {precision}: FAILED: {e.GetType().Name}: {e.Message}");
                    report.Correctness.AppendLine($"| {model.Plan.Variant.Name} | {precision} | | {plan.Height} x {plan.Width} | {model.Plan.CorrectnessBatch} | " +
                        $"**failed**: {Describe(e)} | | | | |");
                }
                Save($"{model.Plan.Variant.Name} in {precision}");
            }
        }

        // 2. The largest batch, on fresh engines.
        if (plan.LargestBatch is { } largest)
        {
            foreach (Precision precision in plan.Precisions)
                foreach (CheckedModel model in models)
                    passed &= TimeLargestBatch(model, precision, largest, plan, report, log);
            Save($"batch {largest}");
        }

        // 3. Last, the tensor-core kernels only the check runs (ComparisonEngine.Diagnostic), which no GPU has run yet:
        // a fault there (the asynchronous copies' PTX copies from raw device addresses) ends the CUDA context, which
        // would fail whatever the process ran after it.
        foreach (Precision precision in plan.Precisions.Where(p => p != Precision.Fp32))
        {
            passed &= CheckLayerBound(plan, precision, LayerBoundCheck.DiagnosticKernels, report, log);
            foreach (CheckedModel model in models)
            {
                passed &= RunDiagnostics(model, precision, plan, report, log);
                Save($"{model.Plan.Variant.Name}'s diagnostic kernels in {precision}");
            }
        }

        string text = report.Render(plan, cpuDevice!, passed, stillRunning: null);
        log.WriteLine();
        log.Write(text);
        if (reportPath is not null)
        {
            File.WriteAllText(reportPath, text);
            log.WriteLine($"gpu-check: wrote the report to {reportPath}");
        }
        return passed ? ExitCodes.Passed : ExitCodes.CheckFailed;
    }

    /// <summary>An exception as a table cell says it: its type and message on one line.</summary>
    private static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}";

    /// <summary>The per-layer bound on the device (<see cref="LayerBoundCheck"/>); a failure to run is reported like a precision's.</summary>
    private static bool CheckLayerBound(CheckPlan plan, Precision precision, IReadOnlyList<(GemmTileSize, ITensorCoreGemmSource?, string)> kernels,
        ReportTables report, TextWriter log)
    {
        try
        {
            return LayerBoundCheck.Run(plan, precision, kernels, report.LayerBounds, log);
        }
        catch (Exception e)
        {
            log.WriteLine($"gpu-check: {precision} per-layer bound: FAILED: {e.GetType().Name}: {e.Message}");
            report.LayerBounds.AppendLine($"| {precision} | | {string.Join(", ", kernels.Select(k => k.Item3))} | | **failed**: {Describe(e)} | | |");
            return false;
        }
    }

    /// <summary>Synthesizes and compiles the model, and computes the CPU engine's and the float64 reference's logits for its correctness batch.</summary>
    private static CheckedModel Prepare(ModelPlan model, CheckPlan plan, string workFolder, ref string? cpuDevice, TextWriter log)
    {
        CompiledModel compiled = SyntheticModel.Compile(model.Variant, plan.Height, plan.Width, plan.CalibrationImages, workFolder, log);
        NetworkLayout network = NetworkLayouts.FromManifest(compiled.Manifest, plan.Height, plan.Width);
        ModelWeights weights = compiled.ToModelWeights();
        int batch = model.CorrectnessBatch;
        float[] images = Images(network, batch);
        using InferenceEngine cpu = InferenceEngine.Create(Backend.Cpu, network, weights);
        cpuDevice ??= cpu.DeviceName;
        (float Value, string Layer) largest = (0, "");
        cpu.LayerObserver = activation =>
        {
            foreach (float value in activation.Values)
                if (Math.Abs(value) > largest.Value) largest = (Math.Abs(value), activation.Name);
        };
        float[] cpuLogits = NetworkRun.Infer(cpu, images);
        long start = Stopwatch.GetTimestamp();
        double[] reference = UnfusedReference.Forward(compiled.Network,
            Activation.FromFloats(images, batch, network.InputChannels, network.InputHeight, network.InputWidth));
        log.WriteLine($"gpu-check: {model.Variant.Name}: CPU engine vs float64 {NetworkRun.RelativeL2(cpuLogits, reference):0.00e+00} " +
            $"(batch {batch}), largest activation {largest.Value:G4} ({largest.Layer}); the reference took {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s");
        return new CheckedModel(model, network, weights, images, reference, cpuLogits, largest);
    }

    /// <summary>One model in one precision: first call, correctness, timings, and per-layer times where planned.</summary>
    private static bool RunPrecision(CheckedModel model, Precision precision, CheckPlan plan, ReportTables report, TextWriter log)
    {
        string name = model.Plan.Variant.Name;
        NetworkLayout network = model.Network;
        // First call: what a process pays before its first result (kernel compilation, weight upload).
        float[] one = Images(network, 1);
        long start = Stopwatch.GetTimestamp();
        using InferenceEngine gpu = GpuEngine.Create(plan.Accelerator, network, model.Weights, precision);
        double createMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        NetworkRun.Infer(gpu, one);
        double firstMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds - createMs;
        report.Card ??= gpu.DeviceName;
        log.WriteLine($"gpu-check: {name} {precision} on {gpu.DeviceName} ({gpu.Backend}, {gpu.Precision}): Create {createMs:F0} ms, first Infer {firstMs:F0} ms");
        report.FirstCalls.AppendLine($"| {name} | {precision} | {createMs:F0} | {firstMs:F0} | {createMs + firstMs:F0} |");

        bool passed = CheckCorrectness(model, gpu, "per layer", report.Correctness, log);
        // At this batch the engine picks small tiles nearly everywhere; the large-tile kernels the timings use at batch 64
        // are checked here too.
        using (InferenceEngine large = GpuEngine.Create(plan.Accelerator, network, model.Weights, precision, GemmTileSize.Large))
            passed &= CheckCorrectness(model, large, "128 x 128", report.Correctness, log);

        foreach (int batch in plan.Batches)
            TimeBatch(model, gpu, batch, plan, report, log);

        if (model.Plan.PerLayerBatch is { } layerBatch)
            report.LayerTables.Add(TimeLayers(model, precision, gpu, layerBatch, plan, log));
        return passed;
    }

    /// <summary>
    /// The diagnostic engines of one model in a reduced precision, after everything else (<see cref="ComparisonEngine.Diagnostic"/>):
    /// the logits with each of <see cref="LayerBoundCheck.DiagnosticKernels"/>, and the per-layer table's diagnostic columns.
    /// A failure is reported where its result would be, and the rest still runs.
    /// </summary>
    private static bool RunDiagnostics(CheckedModel model, Precision precision, CheckPlan plan, ReportTables report, TextWriter log)
    {
        string name = model.Plan.Variant.Name;
        bool passed = true;
        foreach ((GemmTileSize tiles, ITensorCoreGemmSource? candidate, string kernel) in LayerBoundCheck.DiagnosticKernels)
        {
            try
            {
                using InferenceEngine diagnostic = GpuEngine.Create(plan.Accelerator, model.Network, model.Weights, precision, tiles, candidate: candidate);
                passed &= CheckCorrectness(model, diagnostic, kernel, report.Correctness, log);
            }
            catch (Exception e)
            {
                passed = false;
                log.WriteLine($"gpu-check: {name} {precision} ({kernel}): FAILED: {e.GetType().Name}: {e.Message}");
                report.Correctness.AppendLine($"| {name} | {precision} | {kernel} | {plan.Height} x {plan.Width} | {model.Plan.CorrectnessBatch} | **failed**: {Describe(e)} | | | | |");
            }
        }

        // The table the engine's own layers made in step 1; none where that failed or none was planned.
        if (report.LayerTables.Find(t => t.Model == name && t.Precision == precision) is not { } table)
            return passed;
        float[] images = Images(model.Network, table.Batch);
        foreach (ComparisonEngine column in ComparisonEngine.All.Where(c => c.Diagnostic && c.Runs(precision)))
        {
            try
            {
                table.Columns[column] = TimeLayersOn(column, model, precision, images, plan);
                log.WriteLine($"gpu-check: timed {name}'s layers at batch {table.Batch} in {precision} on {column.Name}");
            }
            catch (Exception e)
            {
                passed = false;
                log.WriteLine($"gpu-check: {name} {precision} layers on {column.Name}: FAILED: {e.GetType().Name}: {e.Message}");
                table.Failures[column] = Describe(e);
            }
        }
        return passed;
    }

    /// <summary>The whole call and the device's part of it at <paramref name="batch"/> images, beside cuDNN's where the issue has its figure.</summary>
    private static void TimeBatch(CheckedModel model, InferenceEngine gpu, int batch, CheckPlan plan, ReportTables report, TextWriter log)
    {
        string name = model.Plan.Variant.Name;
        CallTiming timing = Timing.Call(gpu, Images(model.Network, batch), plan.WarmUp, plan.Repetitions);
        double? cudnn = CudnnAnchors.For(name, gpu.Precision, batch, plan.Height, plan.Width);
        string ratio = cudnn is { } anchor ? $"{timing.OnDevice.MedianMs / anchor:F2}x" : "";
        log.WriteLine($"gpu-check: {name} {gpu.Precision} batch {batch}: Infer {timing.Infer} ms, on device {timing.OnDevice} ms");
        report.Timings.AppendLine($"| {name} | {gpu.Precision} | {batch} | {timing.Infer} | {timing.OnDevice} | {batch * 1000 / timing.OnDevice.MedianMs:F1} | {cudnn?.ToString("F2") ?? ""} | {ratio} |");
    }

    /// <summary>
    /// The plan's largest batch on a fresh engine, after the rest of the check: a failure is reported in the timing
    /// table and costs nothing else.
    /// </summary>
    private static bool TimeLargestBatch(CheckedModel model, Precision precision, int batch, CheckPlan plan, ReportTables report, TextWriter log)
    {
        try
        {
            using InferenceEngine gpu = GpuEngine.Create(plan.Accelerator, model.Network, model.Weights, precision);
            TimeBatch(model, gpu, batch, plan, report, log);
            return true;
        }
        catch (Exception e)
        {
            log.WriteLine($"gpu-check: {model.Plan.Variant.Name} {precision} batch {batch}: FAILED: {e.GetType().Name}: {e.Message}");
            report.Timings.AppendLine($"| {model.Plan.Variant.Name} | {precision} | {batch} | **failed**: {Describe(e)} | | | | |");
            return false;
        }
    }

    /// <summary>
    /// Makes and runs an engine for a one-layer network first, so that a machine without a GPU says so in
    /// seconds rather than after B1 is synthesized, and the cost of opening the device (the accelerator, the
    /// first kernel compilations) is reported apart from each model's.
    /// </summary>
    private static void OpenDevice(GpuAccelerator accelerator, StringBuilder firstCalls, TextWriter log)
    {
        const int size = 16;
        TrainedNetwork probe = SyntheticNetwork.Create([new BlockShape(0, 0, 3, 16, 2, 1)], classes: 10, seed: 1, calibration: null);
        CompiledModel compiled = WeightsStep.Pack(probe, new ManifestSource("probe", "", "official", "training"), [], size, size);
        NetworkLayout network = NetworkLayouts.FromManifest(compiled.Manifest, size, size);
        long start = Stopwatch.GetTimestamp();
        using InferenceEngine engine = GpuEngine.Create(accelerator, network, compiled.ToModelWeights(), Precision.Fp32);
        double createMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        NetworkRun.Infer(engine, Images(network, 1));
        double firstMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds - createMs;
        log.WriteLine($"gpu-check: opened {engine.DeviceName} ({engine.Backend}) with a one-layer network: Create {createMs:F0} ms, first Infer {firstMs:F0} ms");
        firstCalls.AppendLine($"| one-layer probe, {size} x {size} (opens the device) | {Precision.Fp32} | {createMs:F0} | {firstMs:F0} | {createMs + firstMs:F0} |");
    }

    private static float[] Images(NetworkLayout network, int batch) =>
        NetworkRun.Images(batch, network.InputChannels, network.InputHeight, network.InputWidth, ImageSeed);

    /// <summary>The GPU logits against the float64 reference (on the checkpoint as read back from the file) and the CPU engine's.</summary>
    private static bool CheckCorrectness(CheckedModel model, InferenceEngine gpu, string tiles, StringBuilder table, TextWriter log)
    {
        string name = model.Plan.Variant.Name;
        float[] gpuLogits = NetworkRun.Infer(gpu, model.Images);
        double gpuError = NetworkRun.RelativeL2(gpuLogits, model.Reference);
        double cpuError = NetworkRun.RelativeL2(model.CpuLogits, model.Reference);
        double gpuVersusCpu = NetworkRun.RelativeL2(gpuLogits, model.CpuLogits);
        double bound = gpu.Precision == Precision.Fp32 ? Fp32Bound : ReducedBound;
        bool passed = gpuError <= bound;
        log.WriteLine($"gpu-check: {name} {gpu.Precision} ({tiles}) batch {model.Plan.CorrectnessBatch}: GPU vs float64 {gpuError:0.00e+00} " +
            $"({(passed ? "pass" : "FAIL")}, bound {bound:0e+00}), CPU engine vs float64 {cpuError:0.00e+00}, GPU vs CPU engine {gpuVersusCpu:0.00e+00}");
        table.AppendLine($"| {name} | {gpu.Precision} | {tiles} | {gpu.Network.InputHeight} x {gpu.Network.InputWidth} | {model.Plan.CorrectnessBatch} | " +
            $"{gpuError:0.00e+00} | {bound:0e+00} | {cpuError:0.00e+00} | {gpuVersusCpu:0.00e+00} | {model.Largest.Value:G4} ({model.Largest.Layer}) | {(passed ? "pass" : "**FAIL**")} |");
        return passed;
    }

    /// <summary>
    /// The model's layers one by one on <paramref name="gpu"/>, and also on the comparison engines that are not
    /// diagnostic (<see cref="ComparisonEngine"/>; <see cref="RunDiagnostics"/> times those at the end), so that one
    /// run shows what the engine's per-layer choice of tiles (GemmTilePolicy) and the weights step's Winograd plan gain
    /// or lose on this GPU.
    /// </summary>
    private static LayerTable TimeLayers(CheckedModel model, Precision precision, InferenceEngine gpu, int batch, CheckPlan plan, TextWriter log)
    {
        float[] images = Images(model.Network, batch);
        IReadOnlyList<LayerTiming> timings = Timing.PerLayer(gpu, images, plan.WarmUp, plan.Repetitions);
        var engine = (GpuInferenceEngine)gpu;
        var table = new LayerTable(model.Plan.Variant.Name, precision, batch, timings,
            timings.Select(t => t.Layer is { } layer ? engine.DescribeKernel(layer, batch) : "").ToArray());
        foreach (ComparisonEngine column in ComparisonEngine.All.Where(c => !c.Diagnostic && c.Runs(precision)))
            table.Columns[column] = TimeLayersOn(column, model, precision, images, plan);
        log.WriteLine($"gpu-check: timed {table.Model}'s {timings.Count - 1} layers one by one at batch {batch} in {precision}");
        return table;
    }

    /// <summary>The model's layers one by one on a fresh engine made as <paramref name="column"/> says.</summary>
    private static IReadOnlyList<LayerTiming> TimeLayersOn(ComparisonEngine column, CheckedModel model, Precision precision, float[] images, CheckPlan plan)
    {
        using InferenceEngine chosen = GpuEngine.Create(plan.Accelerator, model.Network, model.Weights, precision, column.Tiles, column.AllDirect, column.Candidate);
        return Timing.PerLayer(chosen, images, plan.WarmUp, plan.Repetitions);
    }
}

/// <summary>An engine a per-layer table times the engine's layers on, a column each.</summary>
/// <param name="Tiles">The GEMMs' tile size it fixes.</param>
/// <param name="AllDirect">Whether it runs Winograd layers as direct implicit GEMMs too (FP32; the reduced precisions run every layer direct).</param>
/// <param name="Candidate">A candidate tensor-core kernel in place of the engine's (TF32 and FP16; Candidates/).</param>
internal sealed record ComparisonEngine(string Name, GemmTileSize Tiles, bool AllDirect = false, ITensorCoreGemmSource? Candidate = null)
{
    /// <summary>In the order of the tables' columns. TF32 and FP16 take the tensor-core kernel staged by asynchronous copies.</summary>
    public static readonly IReadOnlyList<ComparisonEngine> All =
    [
        new("64 x 64 tiles", GemmTileSize.Small),
        new("128 x 128 tiles", GemmTileSize.Large),
        new("all direct", GemmTileSize.Auto, AllDirect: true),
        new("async copies, 64 x 64", GemmTileSize.Small, Candidate: AsyncCopiesGemm.Instance),
        new("async copies, 128 x 128", GemmTileSize.Large, Candidate: AsyncCopiesGemm.Instance),
    ];

    /// <summary>Whether it runs a candidate kernel, which only the check runs: the check times these last (<see cref="FullCheck"/>).</summary>
    public bool Diagnostic => Candidate is not null;

    /// <summary>
    /// Whether a table in <paramref name="precision"/> has this column: all direct in FP32 only, the candidates
    /// (tensor-core kernels) in TF32 and FP16 only.
    /// </summary>
    public bool Runs(Precision precision) => precision == Precision.Fp32 ? !Diagnostic : !AllDirect;
}

/// <summary>One model's layers timed one by one at one batch in one precision: the engine's own kernels, and a column per comparison engine as the check gets to it.</summary>
/// <param name="Kernels">The kernel the engine ran each layer with, as it describes it; empty for the head.</param>
internal sealed class LayerTable(string model, Precision precision, int batch, IReadOnlyList<LayerTiming> timings, IReadOnlyList<string> kernels)
{
    public string Model { get; } = model;
    public Precision Precision { get; } = precision;
    public int Batch { get; } = batch;

    /// <summary>The comparison engines' timings, as they come.</summary>
    public Dictionary<ComparisonEngine, IReadOnlyList<LayerTiming>> Columns { get; } = [];

    /// <summary>The comparison engines that failed, and how.</summary>
    public Dictionary<ComparisonEngine, string> Failures { get; } = [];

    public void Render(StringBuilder report, int height, int width, int repetitions)
    {
        bool reduced = Precision != Precision.Fp32;
        ComparisonEngine[] columns = ComparisonEngine.All.ToArray();
        report.AppendLine($"### Per layer: {Model}, batch {Batch}, {height} x {width}, {Precision}, median (min) of {repetitions}, ms");
        report.AppendLine();
        report.AppendLine("The engine synchronizes after each layer, so the device idles between layers and the sum is a little above the whole call. " +
            "The kernel is the one the engine ran, with its tiles: in TF32 and FP16 every layer but a stem-direct one runs the tensor-core implicit GEMM. " +
            "The last columns time the same layers on engines whose GEMMs always take 64 x 64 or 128 x 128 tiles (the engine picks per layer)" +
            (reduced
                ? ", and with those tiles on engines whose tensor-core kernel is the check's candidate that stages its operands by asynchronous copies (cp.async) " +
                  "rather than through registers. The check times those two last, after every other table."
                : ", and on one that runs every layer as a direct implicit GEMM, Winograd layers too (the weights step planned Winograd for the CPU)."));
        report.AppendLine();
        report.AppendLine($"| layer | channels | groups | stride | output | kernel | ms | TFLOP/s (as direct conv) | {string.Join(" | ", columns.Select(c => c.Name))} |");
        report.AppendLine($"| --- | --- | ---: | ---: | --- | --- | ---: | ---: |{string.Concat(columns.Select(_ => " ---: |"))}");
        double total = 0;
        for (int l = 0; l < timings.Count; l++)
        {
            LayerTiming timing = timings[l];
            total += timing.Time.MedianMs;
            string otherEngines = string.Join(" | ", columns.Select(c => $"{(Columns.TryGetValue(c, out var other) ? other[l].Time : "")}"));
            if (timing.Layer is not { } layer)
            {
                report.AppendLine($"| head (pool + linear) | | | | | | {timing.Time} | | {otherEngines} |");
                continue;
            }
            double tflops = Timing.DirectConvolutionFlops(layer, Batch) / (timing.Time.MedianMs * 1e-3) / 1e12;
            report.AppendLine($"| {layer.Name} | {layer.InChannels} → {layer.OutChannels} | {layer.Groups} | {layer.Stride} | " +
                $"{layer.OutHeight} x {layer.OutWidth} | {kernels[l]} | {timing.Time} | {tflops:F2} | {otherEngines} |");
        }
        string otherTotals = string.Join(" | ", columns.Select(c => Columns.TryGetValue(c, out var other) ? other.Sum(t => t.Time.MedianMs).ToString("F2") : ""));
        report.AppendLine($"| sum of medians | | | | | | {total:F2} | | {otherTotals} |");
        report.AppendLine();
        foreach (ComparisonEngine column in columns.Where(Failures.ContainsKey))
            report.AppendLine($"- {column.Name}: **failed**: {Failures[column]}");
        if (Failures.Count > 0)
            report.AppendLine();
    }
}

/// <summary>The report's tables as the check fills them, and the report they make.</summary>
internal sealed class ReportTables
{
    public StringBuilder Correctness { get; } = new();
    public StringBuilder FirstCalls { get; } = new();
    public StringBuilder Timings { get; } = new();
    public List<LayerTable> LayerTables { get; } = [];
    public StringBuilder LayerBounds { get; } = new();

    /// <summary>The GPU's name, from the first engine made.</summary>
    public string? Card { get; set; }

    /// <param name="stillRunning">Null for the whole report; else how far the check has got, for a report written while it runs.</param>
    public string Render(CheckPlan plan, string cpuDevice, bool passed, string? stillRunning)
    {
        var report = new StringBuilder();
        report.AppendLine($"## GPU check, {DateTime.UtcNow:yyyy-MM-dd}, {Card}");
        report.AppendLine();
        report.AppendLine($"- accelerator: {(plan.Accelerator == GpuAccelerator.Cuda ? "CUDA" : "ILGPU CPU accelerator")}; card: {Card}");
        report.AppendLine($"- CPU engine: {cpuDevice}; {Environment.ProcessorCount} logical cores; {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}");
        report.AppendLine($"- models: synthetic (deterministic weights, BatchNorm calibrated on {plan.CalibrationImages} images of {plan.Height} x {plan.Width}), compiled by the weights step on this machine");
        if (stillRunning is not null)
            report.AppendLine($"- **incomplete**: written while the check ran, after {stillRunning}; the tables hold what had finished");
        report.AppendLine($"- result{(stillRunning is null ? "" : " so far")}: {(passed ? "every GPU result within its bound" : "**a GPU result is outside its bound, or a precision failed**")}");
        report.AppendLine();
        report.AppendLine($"### Correctness: relative L2 error of the logits against the float64 unfused reference (bound {FullCheck.Fp32Bound:0e+00} in FP32, {FullCheck.ReducedBound:0e+00} in TF32 and FP16)");
        report.AppendLine();
        report.AppendLine("A small batch: the float64 reference is plain scalar loops, about 12 G multiply-adds per B1 image at 224 x 224. The CPU engine computes in FP32. " +
            "The largest activation is the CPU engine's, with its layer: FP16 holds magnitudes up to 65504 and turns larger ones into infinity. " +
            "Tiles: the engine's choice per layer (at this batch, nearly always 64 x 64), or 128 x 128 forced for every GEMM, so the kernels the large batches time are checked too; " +
            "in TF32 and FP16 also either size with the tensor-core kernel staging by asynchronous copies (cp.async), and 128 x 128 as 4 warps of 64 x 64, " +
            "which the per-layer tables time; the check runs those last, after every other table (a fault in a kernel no GPU has run would end the CUDA context).");
        report.AppendLine();
        report.AppendLine("| model | precision | tiles | input | batch | GPU vs float64 | bound | CPU engine vs float64 | GPU vs CPU engine | largest activation | result |");
        report.AppendLine("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |");
        report.Append(Correctness);
        report.AppendLine();
        if (LayerBounds.Length > 0)
        {
            report.AppendLine("### Per-layer bound, TF32 and FP16: each output of a single synthetic layer against the float64 convolution of the same float32 values");
            report.AppendLine();
            report.AppendLine("The bound is `Precision`'s, with B = (2^-10 + (K + 2) 2^-23) (Σ|w x| + |b|) and each output's own rounding as it is stored: (1 + 2^-11) B + 2^-11 (Σ|w x| + |b|) + 2^-137 in TF32; (1 + 2^-11) (B + 2^-24 Σ(|w| + |x|)) + 2^-11 (Σ|w x| + |b|) + 2^-25 in FP16. Batch 1, N(0, 1) input, direct weights; both tile sizes, staging through registers and (checked last) by asynchronous copies, and (last) 128 x 128 as 4 warps of 64 x 64.");
            report.AppendLine();
            report.AppendLine("| precision | layer | kernel | outputs | largest error / bound | outside | result |");
            report.AppendLine("| --- | --- | --- | ---: | ---: | ---: | --- |");
            report.Append(LayerBounds);
            report.AppendLine();
        }
        report.AppendLine("### First call: Create (kernel compilation, weight upload) and the first Infer, batch 1, ms, in this order in one process");
        report.AppendLine();
        report.AppendLine("| model | precision | Create | first Infer | total |");
        report.AppendLine("| --- | --- | ---: | ---: | ---: |");
        report.Append(FirstCalls);
        report.AppendLine();
        report.AppendLine($"### Inference, {plan.Height} x {plan.Width}: median (min) of {plan.Repetitions} after {plan.WarmUp} warm-up calls, ms");
        report.AppendLine();
        report.AppendLine("Infer is the whole call (input upload, layers, head, logits back); on device starts once the input is on the device. " +
            $"The anchor is {CudnnAnchors.Source}; the ratio is on device / anchor.");
        report.AppendLine();
        report.AppendLine("| model | precision | batch | Infer | on device | images/s | cuDNN | ratio |");
        report.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        report.Append(Timings);
        report.AppendLine();
        foreach (LayerTable table in LayerTables)
            table.Render(report, plan.Height, plan.Width, plan.Repetitions);
        return report.ToString();
    }
}
