using System.Diagnostics;
using System.Reflection;
using RepVgg.Compiler;
using RepVgg.Compiler.Architecture;
using RepVgg.Manifest;
using RepVgg.Compiler.Onnx;
using RepVgg.Compiler.Synthetic;

namespace RepVgg.Runtime.Benchmarks;

/// <summary>
/// A published variant compiled in-process from a synthetic checkpoint: what our CPU backend runs
/// (manifest and packed blob) and the same fused network exported to ONNX for ONNX Runtime.
/// </summary>
/// <param name="Variant">The architecture.</param>
/// <param name="Manifest">The compiled layers and blob offsets.</param>
/// <param name="Blob">The fused, packed float32 weights.</param>
/// <param name="OnnxPath">The ONNX export of the same checkpoint (batch symbolic, 224 x 224).</param>
internal sealed record BenchmarkModel(RepVggVariant Variant, ModelManifest Manifest, float[] Blob, string OnnxPath)
{
    /// <summary>The input size every benchmark here runs at.</summary>
    public const int Height = 224, Width = 224;

    private static readonly Dictionary<(string, WeightsLayout), BenchmarkModel> Loaded = [];

    /// <summary>Where the synthetic checkpoints and exports are cached: the project's obj/weights/, set by the build.</summary>
    private static string WeightsDirectory { get; } =
        typeof(BenchmarkModel).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepVggWeightsDirectory").Value!;

    /// <summary>
    /// The compiled <paramref name="variantName"/> (<c>A0</c>, <c>B1</c>), its blob in <paramref name="layout"/>, once per
    /// process: the in-process benchmarks' setups share it. The first run writes the checkpoint (the same
    /// deterministic synthetic one the build's <c>Synthesize</c> writes) and the ONNX export.
    /// </summary>
    public static BenchmarkModel Load(string variantName, WeightsLayout layout = WeightsLayout.Compact)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue((variantName, layout), out BenchmarkModel? loaded)) return loaded;
            RepVggVariant variant = RepVggVariant.Find(variantName) ?? throw new ArgumentException($"Unknown variant {variantName}.", nameof(variantName));
            string checkpoint = Path.Combine(WeightsDirectory, $"{variant.Name}-train.pth");
            string onnx = Path.Combine(WeightsDirectory, $"{variant.Name}.onnx");
            var clock = Stopwatch.StartNew();
            if (!File.Exists(checkpoint))
            {
                Console.WriteLine($"// Writing a synthetic {variant.Name} checkpoint at {checkpoint} (once; calibrating BatchNorm takes a while)");
                SyntheticCheckpoint.Write(checkpoint, variant, SyntheticCheckpoint.DefaultSeed, variant.OfficialLayout, deploy: false);
            }
            CompiledModel model = WeightsStep.Compile(checkpoint, new CompileOptions { Variant = variant.Name, WeightsLayout = layout });
            if (layout == WeightsLayout.Compact)
                WeightsStep.WriteOutputs(model, BlobPath(variant.Name), ManifestPath(variant.Name));
            if (!File.Exists(onnx) || File.GetLastWriteTimeUtc(onnx) < File.GetLastWriteTimeUtc(checkpoint))
                OnnxExport.Write(model.Network, onnx, Height, Width);
            Console.WriteLine($"// {variant.Name}: compiled and exported in {clock.Elapsed.TotalSeconds:F1} s");
            // Only the fused results are kept: the float64 training-time network is several times the blob.
            return Loaded[(variantName, layout)] = new BenchmarkModel(variant, model.Manifest, model.Blob, onnx);
        }
    }

    /// <summary>Where <see cref="Load"/> leaves the compiled (compact) blob of <paramref name="variant"/>, as the build would embed it.</summary>
    public static string BlobPath(string variant) => Path.Combine(WeightsDirectory, $"{variant}.weights.bin");

    /// <summary>Where <see cref="Load"/> leaves the compiled manifest of <paramref name="variant"/>.</summary>
    public static string ManifestPath(string variant) => Path.Combine(WeightsDirectory, $"{variant}.repvgg.json");

    /// <summary>The blob as the engines read it.</summary>
    public ModelWeights Weights() => ModelWeights.FromArray(Blob, WeightsStep.LayoutOf(Manifest.Blob));

    /// <summary>The runtime layout at <see cref="Height"/> x <see cref="Width"/>.</summary>
    public NetworkLayout Layout => NetworkLayouts.FromManifest(Manifest, Height, Width);

    /// <summary>A deterministic batch of <paramref name="batch"/> NCHW images, uniform in [-1, 1).</summary>
    public float[] Images(int batch)
    {
        var random = new Random(1);
        var images = new float[batch * Manifest.InputChannels * Height * Width];
        for (int i = 0; i < images.Length; i++) images[i] = (float)(random.NextDouble() * 2 - 1);
        return images;
    }
}
