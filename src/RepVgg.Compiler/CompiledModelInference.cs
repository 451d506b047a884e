namespace RepVgg.Compiler;

/// <summary>
/// Runs a compiled model the way a generated class does: its blob, one call per layer of its manifest, on a
/// backend. For code that has a <see cref="CompiledModel"/> and no generated class (tests, tools).
/// </summary>
public static class CompiledModelInference
{
    /// <summary>Logits (N, Classes) of the fused float32 network for an NCHW batch of <paramref name="height"/> x <paramref name="width"/> images.</summary>
    /// <exception cref="ArgumentException">The length of <paramref name="images"/> is not a whole batch, or the batch is too large for one call.</exception>
    public static float[] Infer(CompiledModel model, ReadOnlySpan<float> images, int height, int width, Backend backend = Backend.Cpu)
    {
        NetworkLayout layout = NetworkLayouts.FromManifest(model.Manifest, height, width);
        using InferenceEngine engine = InferenceEngine.Create(backend, layout, ModelWeights.FromArray(model.Blob));
        var logits = new float[images.Length / layout.ImageLength * layout.Head.Classes];
        engine.BeginBatch(images, logits);
        foreach (Conv3x3Layer layer in layout.Layers) engine.Conv3x3BiasRelu(layer);
        engine.GlobalAveragePoolLinear(layout.Head, logits);
        return logits;
    }
}
