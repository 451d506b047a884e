using RepVgg.Compiler.Manifest;
using RepVgg.Tooling.Reference;
using RepVgg.Tooling.Synthetic;

namespace RepVgg.Compiler.Tests;

/// <summary>
/// Runs a compiled model the way a generated class does: its blob, its layers, on a backend.
/// The layer list is built here from the manifest as the generator builds it in emitted code.
/// </summary>
internal static class CompiledNetwork
{
    /// <summary>Logits (N, Classes) of the fused float32 network for an NCHW batch.</summary>
    public static float[] Infer(CompiledModel model, float[] images, int height, int width, Backend backend = Backend.Cpu)
    {
        NetworkLayout layout = NetworkLayouts.FromManifest(model.Manifest, height, width);
        using InferenceEngine engine = InferenceEngine.Create(backend, layout, ModelWeights.FromArray(model.Blob));
        var logits = new float[images.Length / layout.ImageLength * layout.Head.Classes];
        engine.BeginBatch(images, logits);
        foreach (Conv3x3Layer layer in layout.Layers) engine.Conv3x3BiasRelu(layer);
        engine.GlobalAveragePoolLinear(layout.Head, logits);
        return logits;
    }

    /// <summary>A deterministic NCHW batch of N(0, 1) floats with 3 channels.</summary>
    public static float[] RandomImages(int batch, int height, int width, ulong seed) =>
        new DeterministicRandom(seed).Normals(batch * 3 * height * width, 1.0).Select(v => (float)v).ToArray();

    /// <summary>Logits of the unfused float64 reference for the same batch.</summary>
    public static double[] Reference(CompiledModel model, float[] images, int height, int width) =>
        UnfusedReference.Forward(model.Network,
            Activation.FromFloats(images, images.Length / (3 * height * width), 3, height, width));
}
