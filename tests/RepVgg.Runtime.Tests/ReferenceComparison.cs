using RepVgg.Cpu;

namespace RepVgg.Runtime.Tests;

/// <summary>Runs a batch through the engine one call at a time and checks every step against the scalar references.</summary>
internal static class ReferenceComparison
{
    /// <summary>
    /// Loads <paramref name="batch"/> seeded images, then checks the loaded input, each layer's output
    /// and the logits against the references (each layer on the reference output of the one before).
    /// </summary>
    public static void CheckBatch(CpuInferenceEngine engine, TestNetwork network, int batch, int seed)
    {
        NetworkLayout layout = network.Layout;
        float[] images = network.Images(batch, seed);
        var logits = new float[batch * layout.Head.Classes];
        Assert.Equal(batch, engine.BeginBatch(images, logits));

        var loaded = new float[images.Length];
        engine.CopyActivation(loaded);
        Assert.Equal(images, loaded);

        float[] expected = images;
        for (int i = 0; i < layout.Layers.Count; i++)
        {
            Conv3x3Layer layer = layout.Layers[i];
            engine.Conv3x3BiasRelu(layer);
            expected = network.ReferenceLayer(i, expected, batch);
            var actual = new float[expected.Length];
            engine.CopyActivation(actual);
            NumericAssert.Close(expected, actual, [batch, layer.OutChannels, layer.OutHeight, layer.OutWidth],
                $"{layer.Name}: {layer.InChannels} -> {layer.OutChannels} channels, groups {layer.Groups}, stride {layer.Stride}, " +
                $"input {layer.InHeight} x {layer.InWidth}, batch {batch}, {engine.KernelWidth} kernel");
        }

        engine.GlobalAveragePoolLinear(layout.Head, logits);
        NumericAssert.Close(network.ReferenceHead(expected, batch), logits, [batch, layout.Head.Classes],
            $"logits: {layout.Head.Features} features -> {layout.Head.Classes} classes, batch {batch}, {engine.KernelWidth} kernel");
    }
}
