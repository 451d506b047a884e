using RepVgg.Compiler;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Fusion;
using RepVgg.Manifest;
using RepVgg.Gpu;
using RepVgg.Compiler.Synthetic;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>Synthetic networks compiled by the weights step, as a generated class would run them.</summary>
internal static class CompiledModels
{
    private static readonly ManifestSource Source = new("synthetic.pth", "", "official", "training");

    /// <summary>
    /// A network of <paramref name="shapes"/> packed for <paramref name="height"/> x <paramref name="width"/>, its algorithms
    /// planned or chosen, its blob in <paramref name="layout"/>.
    /// </summary>
    public static (TrainedNetwork Network, NetworkLayout Layout, ModelWeights Weights) Compile(
        IEnumerable<BlockShape> shapes, int classes, int height, int width, ulong seed,
        Func<RepVggBlock, int, int, ConvAlgorithm>? chooseAlgorithm = null, SyntheticNetwork.Calibration? calibration = null,
        WeightsLayout layout = WeightsLayout.Compact)
    {
        TrainedNetwork network = SyntheticNetwork.Create(shapes, classes, seed, calibration);
        CompiledModel model = WeightsStep.Pack(network, Source, [], height, width, chooseAlgorithm, layout);
        return (network, NetworkLayouts.FromManifest(model.Manifest, height, width), model.ToModelWeights());
    }

    /// <summary>A one-block network and its fused float32 weights (OIHW) and bias, the values its blob was packed from.</summary>
    public static (NetworkLayout Layout, ModelWeights Weights, float[] Oihw, float[] Bias) SingleLayer(
        int inChannels, int outChannels, int groups, int stride, int height, int width, ConvAlgorithm algorithm, ulong seed,
        WeightsLayout blobLayout = WeightsLayout.Compact)
    {
        var (network, layout, weights) = Compile([new BlockShape(0, 0, inChannels, outChannels, stride, groups)], classes: 3, height, width, seed,
            (_, _, _) => algorithm, layout: blobLayout);
        FusedConv fused = BatchNormFolding.Fuse(network.Blocks[0]);
        return (layout, weights, Float32.Round(fused.Weight), Float32.Round(fused.Bias));
    }

    /// <summary>A deterministic batch of N(0, 1) floats.</summary>
    public static float[] RandomFloats(int count, ulong seed) =>
        new DeterministicRandom(seed).Normals(count, 1.0).Select(v => (float)v).ToArray();
}
