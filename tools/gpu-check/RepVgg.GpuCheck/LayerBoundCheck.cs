using System.Text;
using RepVgg.Compiler;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Fusion;
using RepVgg.Manifest;
using RepVgg.Gpu;
using RepVgg.Gpu.Kernels;
using RepVgg.Compiler.Reference;
using RepVgg.Testing.Models;
using RepVgg.Compiler.Synthetic;
using RepVgg.GpuCheck.Candidates;

namespace RepVgg.GpuCheck;

/// <summary>One layer the per-layer bound is checked on: a block shape and its input size.</summary>
internal sealed record BoundLayer(int InChannels, int OutChannels, int Stride, int Groups, int Size)
{
    public override string ToString() => $"{InChannels} → {OutChannels}, stride {Stride}{(Groups > 1 ? $", groups {Groups}" : "")}, {Size} x {Size}";
}

/// <summary>
/// The error bound <see cref="Precision"/> states for TF32 and FP16, checked on the device: single synthetic layers run
/// on the GPU engine, every output against the float64 convolution of the same float32 input, weights and bias, within
/// <see cref="TensorCoreBound"/>. The tests check the bound with the mma emulated; this checks the tensor cores keep it.
/// </summary>
internal static class LayerBoundCheck
{
    private const ulong Seed = 11;
    private static readonly ManifestSource Source = new("layer", "", "official", "training");

    /// <summary>Both tile sizes of the engine's tensor-core kernel, whichever the engine would pick for a layer.</summary>
    public static readonly IReadOnlyList<(GemmTileSize Tiles, ITensorCoreGemmSource? Candidate, string Name)> EngineKernels =
    [
        (GemmTileSize.Small, null, "64 x 64 tiles"),
        (GemmTileSize.Large, null, "128 x 128 tiles"),
    ];

    /// <summary>
    /// The candidate tensor-core kernels (Candidates/, outside the product), which <see cref="FullCheck"/> runs last:
    /// both tile sizes staging by asynchronous copies.
    /// </summary>
    public static readonly IReadOnlyList<(GemmTileSize Tiles, ITensorCoreGemmSource? Candidate, string Name)> DiagnosticKernels =
    [
        (GemmTileSize.Small, AsyncCopiesGemm.Instance, "64 x 64 tiles, async copies"),
        (GemmTileSize.Large, AsyncCopiesGemm.Instance, "128 x 128 tiles, async copies"),
    ];

    /// <summary>Each of the plan's layers in <paramref name="precision"/> on each of <paramref name="kernels"/>, a row of <paramref name="table"/> each.</summary>
    public static bool Run(CheckPlan plan, Precision precision, IReadOnlyList<(GemmTileSize Tiles, ITensorCoreGemmSource? Candidate, string Name)> kernels,
        StringBuilder table, TextWriter log)
    {
        bool passed = true;
        foreach (BoundLayer shape in plan.BoundLayers)
        {
            TrainedNetwork network = SyntheticNetwork.Create([new BlockShape(0, 0, shape.InChannels, shape.OutChannels, shape.Stride, shape.Groups)],
                classes: 10, Seed, calibration: null);
            // Direct, so the engine's weights are exactly these (it would untransform a Winograd layer's within float32 rounding).
            CompiledModel compiled = WeightsStep.Pack(network, Source, [], shape.Size, shape.Size, (_, _, _) => ConvAlgorithm.Direct);
            NetworkLayout layout = NetworkLayouts.FromManifest(compiled.Manifest, shape.Size, shape.Size);
            FusedConv fused = BatchNormFolding.Fuse(network.Blocks[0]);
            float[] oihw = Float32.Round(fused.Weight), bias = Float32.Round(fused.Bias);
            float[] images = Array.ConvertAll(new DeterministicRandom(Seed).Normals(layout.ImageLength, 1.0), v => (float)v);
            Conv3x3Layer layer = layout.Layers[0];

            Activation input = Activation.FromFloats(images, 1, shape.InChannels, shape.Size, shape.Size);
            Activation sums = UnfusedReference.Convolve(input, Array.ConvertAll(oihw, w => (double)w), shape.OutChannels, 3, shape.Stride, shape.Groups);
            double[] bounds = TensorCoreBound.PerOutput(precision, input, oihw, bias, shape.OutChannels, shape.Groups, shape.Stride);

            foreach ((GemmTileSize tiles, ITensorCoreGemmSource? candidate, string name) in kernels)
            {
                var actual = new float[layer.OutChannels * layer.OutHeight * layer.OutWidth];
                using (InferenceEngine gpu = GpuEngine.Create(plan.Accelerator, layout, compiled.ToModelWeights(), precision, tiles, candidate: candidate))
                {
                    gpu.BeginBatch(images, new float[layout.Head.Classes]);
                    gpu.Conv3x3BiasRelu(layer);
                    gpu.CopyActivation(actual);
                }

                double worst = 0;
                int outside = 0;
                for (int i = 0; i < actual.Length; i++)
                {
                    double exact = Math.Max(0, sums.Data[i] + bias[i / sums.PlaneLength]); // batch 1: plane i / PlaneLength is channel
                    double error = Math.Abs(actual[i] - exact);
                    double use = error == 0 ? 0 : error / bounds[i];
                    worst = Math.Max(worst, double.IsNaN(use) ? double.PositiveInfinity : use);
                    if (!(use <= 1)) outside++;
                }
                bool layerPassed = outside == 0;
                passed &= layerPassed;
                log.WriteLine($"gpu-check: {precision} layer {shape}, {name}: largest error {worst:0.000} of its bound, {outside} of {actual.Length} outputs outside ({(layerPassed ? "pass" : "FAIL")})");
                table.AppendLine($"| {precision} | {shape} | {name} | {actual.Length} | {worst:0.000} | {outside} | {(layerPassed ? "pass" : "**FAIL**")} |");
            }
        }
        return passed;
    }
}
