using System.Diagnostics;
using System.Runtime.InteropServices;
using RepVgg.Compiler;
using RepVgg.Compiler.Architecture;
using RepVgg.Manifest;

namespace RepVgg.Runtime.Benchmarks;

/// <summary>
/// Peak memory of one batch-1 inference on the CPU backend, against its budget: the fused weights (and, from a
/// compact blob, the Winograd layers' weights that <c>Create</c> transforms), the engine's two activation buffers and
/// its Winograd workspace (<see cref="InferenceEngine.BufferBytes"/>), plus 10%. Measured in a fresh process that holds nothing else: the compiled blob is read from the
/// file the benchmark's first run wrote (as an application maps it from its assembly), and the
/// process's peak working set is read before and after.
/// </summary>
internal static class MemoryReport
{
    /// <summary>
    /// Measures <paramref name="variantName"/> (<c>A0</c>, <c>B1</c>) in a child process, after compiling it here
    /// if no blob is there yet: compiling allocates the float64 network, which must not count.
    /// </summary>
    public static int Run(string variantName)
    {
        string variant = (RepVggVariant.Find(variantName) ?? throw new ArgumentException($"Unknown variant {variantName}.", nameof(variantName))).Name;
        if (!File.Exists(BenchmarkModel.BlobPath(variant)))
            BenchmarkModel.Load(variant);
        using Process child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, ["--measure-memory", variant]))!;
        child.WaitForExit();
        return child.ExitCode;
    }

    /// <summary>The child process: loads the compiled blob, runs one inference, reports.</summary>
    public static int Measure(string variant)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        long baseline = process.PeakWorkingSet64;

        ModelManifest manifest = ManifestJson.Parse(File.ReadAllText(BenchmarkModel.ManifestPath(variant)));
        var blob = GC.AllocateUninitializedArray<float>(checked((int)manifest.Blob.Floats), pinned: true);
        using (FileStream file = File.OpenRead(BenchmarkModel.BlobPath(variant)))
            file.ReadExactly(MemoryMarshal.AsBytes(blob.AsSpan()));
        NetworkLayout layout = NetworkLayouts.FromManifest(manifest, BenchmarkModel.Height, BenchmarkModel.Width);
        using InferenceEngine engine = InferenceEngine.Create(Backend.Cpu, layout, ModelWeights.FromArray(blob, WeightsStep.LayoutOf(manifest.Blob)));
        var images = new float[layout.ImageLength];
        var logits = new float[layout.Head.Classes];
        engine.BeginBatch(images, logits);
        foreach (Conv3x3Layer layer in layout.Layers) engine.Conv3x3BiasRelu(layer);
        engine.GlobalAveragePoolLinear(layout.Head, logits);

        process.Refresh();
        long used = process.PeakWorkingSet64 - baseline;
        long weights = manifest.Blob.Floats * sizeof(float), transformed = TransformedBytes(manifest), buffers = engine.BufferBytes(1);
        long budget = weights + transformed + buffers;
        Console.WriteLine($"{variant}, batch 1, {BenchmarkModel.Height} x {BenchmarkModel.Width}, {manifest.Blob.Layout} blob: peak working set grew by {Mb(used)} " +
            $"(from {Mb(baseline)} before the model); budget {Mb(budget)} = weights {Mb(weights)} + weights transformed at Create {Mb(transformed)} " +
            $"+ activations and workspace {Mb(buffers)}; {100.0 * used / budget:F1}% of it (limit 110%).");
        return used <= budget * 1.1 ? 0 : 1;
    }

    /// <summary>
    /// Bytes of the Winograd weights <c>Create</c> computes from a compact blob: each Winograd layer's direct weights
    /// (its bias offset less its weight offset, both 16-aligned) times its points over the kernel's 9 taps.
    /// </summary>
    private static long TransformedBytes(ModelManifest manifest) =>
        manifest.Blob.Layout != ManifestBlobLayouts.Compact ? 0
        : manifest.Layers.Where(layer => layer.Algorithm != ManifestAlgorithms.Direct)
            .Sum(layer => (layer.BiasOffset - layer.WeightOffset) * (layer.Algorithm == ManifestAlgorithms.Winograd2x2 ? 16 : 36) / 9 * sizeof(float));

    private static string Mb(long bytes) => $"{bytes / 1e6:F1} MB";
}
