namespace RepVgg.Cpu;

/// <summary>Placeholder until the CPU kernels land; replaced by the runtime work.</summary>
internal sealed class CpuInferenceEngine(NetworkLayout network, ModelWeights weights) : InferenceEngine(network, weights)
{
    protected override void LoadInput(ReadOnlySpan<float> images, int batch) => throw new NotSupportedException();
    public override void Conv3x3BiasRelu(Conv3x3Layer layer) => throw new NotSupportedException();
    public override void GlobalAveragePoolLinear(LinearHead head, Span<float> logits) => throw new NotSupportedException();
}
