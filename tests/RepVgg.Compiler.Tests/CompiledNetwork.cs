using RepVgg.Compiler.Reference;

namespace RepVgg.Compiler.Tests;

/// <summary>Runs a compiled model the way a generated class does: its blob, its layers, on a backend.</summary>
internal static class CompiledNetwork
{
    /// <summary>Logits (N, Classes) of the fused float32 network for an NCHW batch.</summary>
    public static float[] Infer(CompiledModel model, float[] images, int height, int width, Backend backend = Backend.Cpu)
    {
        NetworkLayout layout = WeightsStep.ToNetworkLayout(model.Manifest, height, width);
        using InferenceEngine engine = InferenceEngine.Create(backend, layout, ModelWeights.FromArray(model.Blob));
        var logits = new float[images.Length / layout.ImageLength * layout.Head.Classes];
        engine.BeginBatch(images, logits);
        foreach (Conv3x3Layer layer in layout.Layers) engine.Conv3x3BiasRelu(layer);
        engine.GlobalAveragePoolLinear(layout.Head, logits);
        return logits;
    }

    /// <summary>Logits of the unfused float64 reference for the same batch.</summary>
    public static double[] Reference(CompiledModel model, float[] images, int height, int width) =>
        UnfusedReference.Forward(model.Network,
            Activation.FromFloats(images, images.Length / (3 * height * width), 3, height, width));
}
