using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Reference;

namespace RepVgg.Compiler.Tests;

/// <summary>
/// <see cref="InferenceEngine.LayerObserver"/>, what the generated <c>Infer(images, logits, onLayer)</c> sets: every
/// layer of the compiled PyTorch fixture is shown, in order, with its name and shape, and its values are the unfused
/// float64 reference's output of that block; with no observer, inference allocates nothing.
/// </summary>
public sealed class ActivationCaptureTests
{
    [Theory]
    [InlineData(1, 64, 64)]
    [InlineData(3, 33, 47)]
    public void Every_layer_is_shown_with_the_reference_blocks_output(int batch, int height, int width)
    {
        CompiledModel model = WeightsStep.Compile(PyTorchFixtures.OfficialPth, new CompileOptions { InputHeight = height, InputWidth = width });
        NetworkLayout layout = NetworkLayouts.FromManifest(model.Manifest, height, width);
        float[] images = CompiledNetwork.RandomImages(batch, height, width, seed: 5);
        var shown = new List<(string Name, int[] Shape, float[] Values)>();
        using InferenceEngine engine = InferenceEngine.Create(Backend.Cpu, layout, model.ToModelWeights());
        engine.LayerObserver = layer => shown.Add((layer.Name, [layer.Batch, layer.Channels, layer.Height, layer.Width], layer.Values.ToArray()));

        var logits = new float[batch * layout.Head.Classes];
        engine.BeginBatch(images, logits);
        foreach (Conv3x3Layer layer in layout.Layers) engine.Conv3x3BiasRelu(layer);
        engine.GlobalAveragePoolLinear(layout.Head, logits);

        Assert.Equal(layout.Layers.Select(l => l.Name), shown.Select(s => s.Name));
        Activation x = Activation.FromFloats(images, batch, 3, height, width);
        for (int i = 0; i < shown.Count; i++)
        {
            RepVggBlock block = model.Network.Blocks[i];
            x = UnfusedReference.Block(block, x);
            Assert.Equal([x.Batch, x.Channels, x.Height, x.Width], shown[i].Shape);
            NumericAssert.Close(x.Data, shown[i].Values, NumericAssert.Float32Tolerance, $"layer {shown[i].Name}", shown[i].Shape);
        }
    }

    [Fact]
    public void Without_an_observer_inference_allocates_nothing_after_the_first_call()
    {
        CompiledModel model = WeightsStep.Compile(PyTorchFixtures.OfficialPth, new CompileOptions { InputHeight = 32, InputWidth = 32 });
        NetworkLayout layout = NetworkLayouts.FromManifest(model.Manifest, 32, 32);
        float[] images = CompiledNetwork.RandomImages(1, 32, 32, seed: 6);
        var logits = new float[layout.Head.Classes];
        using InferenceEngine engine = InferenceEngine.Create(Backend.Cpu, layout, model.ToModelWeights());
        void Infer()
        {
            engine.BeginBatch(images, logits);
            // An index, not foreach: the list's enumerator would be the only allocation.
            for (int i = 0; i < layout.Layers.Count; i++) engine.Conv3x3BiasRelu(layout.Layers[i]);
            engine.GlobalAveragePoolLinear(layout.Head, logits);
        }
        // Once with an observer (its copy buffer is the engine's), then without: nothing more is allocated.
        int layers = 0;
        engine.LayerObserver = _ => layers++;
        Infer();
        engine.LayerObserver = null;
        Infer();

        AllocationAssert.NothingPerCall(Infer);
        Assert.Equal(layout.Layers.Count, layers);
    }
}
