using RepVgg.Manifest;
using RepVgg.Compiler.Planning;

namespace RepVgg.Compiler;

/// <summary>
/// The runtime's view of a compiled model, for code that runs a manifest without a generated class
/// (tests, benchmarks, tools): the same layers, shapes and algorithms the generator emits.
/// </summary>
public static class NetworkLayouts
{
    /// <summary>
    /// The layers and head of <paramref name="manifest"/> for an input of <paramref name="height"/> x
    /// <paramref name="width"/>, each layer with its shape carried through the strides and its algorithm.
    /// </summary>
    public static NetworkLayout FromManifest(ModelManifest manifest, int height, int width)
    {
        var layers = new List<Conv3x3Layer>();
        foreach (ManifestLayer layer in manifest.Layers)
        {
            var conv = new Conv3x3Layer(layer.Name, layer.InChannels, layer.OutChannels, layer.Groups, layer.Stride,
                height, width, layer.WeightOffset, layer.BiasOffset, ConvAlgorithmChoice.FromManifestName(layer.Algorithm), SqueezeOf(layer.Squeeze));
            layers.Add(conv);
            (height, width) = (conv.OutHeight, conv.OutWidth);
        }
        ManifestHead head = manifest.Head;
        return new NetworkLayout(manifest.InputChannels, layers[0].InHeight, layers[0].InWidth, layers,
            new LinearHead(head.Features, head.Classes, head.WeightOffset, head.BiasOffset));
    }

    /// <summary>The runtime's view of a manifest layer's squeeze-and-excitation, or null for none.</summary>
    public static SqueezeExcitationUnit? SqueezeOf(ManifestSqueeze? squeeze) => squeeze is null ? null : new(
        squeeze.Placement == ManifestSqueezePlacements.BeforeRelu ? SqueezePlacement.BeforeRelu : SqueezePlacement.AfterRelu,
        squeeze.InternalChannels, squeeze.DownWeightOffset, squeeze.DownBiasOffset, squeeze.UpWeightOffset, squeeze.UpBiasOffset);

    /// <summary>
    /// Logits (N, Classes) of the compiled float32 network for an NCHW batch of <paramref name="height"/> x
    /// <paramref name="width"/> images: the layers run in order on <paramref name="backend"/>, as a generated class runs them.
    /// </summary>
    public static float[] Infer(ModelManifest manifest, float[] blob, ReadOnlySpan<float> images, int height, int width, Backend backend = Backend.Cpu)
    {
        NetworkLayout layout = FromManifest(manifest, height, width);
        using InferenceEngine engine = InferenceEngine.Create(backend, layout, ModelWeights.FromArray(blob, WeightsStep.LayoutOf(manifest.Blob)));
        var logits = new float[images.Length / layout.ImageLength * layout.Head.Classes];
        Infer(engine, images, logits);
        return logits;
    }

    /// <summary>
    /// One call on an existing engine, as a generated class's <c>Infer</c> makes it: <c>BeginBatch</c>, one
    /// <c>Conv3x3BiasRelu</c> per layer, <c>GlobalAveragePoolLinear</c> (which waits for a GPU). For callers that run
    /// many batches on one engine.
    /// </summary>
    public static void Infer(InferenceEngine engine, ReadOnlySpan<float> images, Span<float> logits)
    {
        engine.BeginBatch(images, logits);
        foreach (Conv3x3Layer layer in engine.Network.Layers) engine.Conv3x3BiasRelu(layer);
        engine.GlobalAveragePoolLinear(engine.Network.Head, logits);
    }
}
