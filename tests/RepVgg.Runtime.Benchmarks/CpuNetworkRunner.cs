namespace RepVgg.Runtime.Benchmarks;

/// <summary>Our CPU backend on a compiled model, called exactly as a generated network class calls it.</summary>
internal sealed class CpuNetworkRunner : IDisposable
{
    private readonly float[] _images, _logits;

    public CpuNetworkRunner(BenchmarkModel model, float[] images, float[] logits)
    {
        Layout = model.Layout;
        Engine = InferenceEngine.Create(Backend.Cpu, Layout, model.Weights());
        (_images, _logits) = (images, logits);
    }

    /// <summary>The layers, in order.</summary>
    public NetworkLayout Layout { get; }

    /// <summary>The engine, for per-layer timing.</summary>
    public InferenceEngine Engine { get; }

    /// <summary>One inference: load the batch, every fused layer, pooling and the classifier.</summary>
    public void Run()
    {
        Engine.BeginBatch(_images, _logits);
        foreach (Conv3x3Layer layer in Layout.Layers) Engine.Conv3x3BiasRelu(layer);
        Engine.GlobalAveragePoolLinear(Layout.Head, _logits);
    }

    public void Dispose() => Engine.Dispose();
}
