using BenchmarkDotNet.Attributes;

namespace RepVgg.Runtime.Benchmarks;

/// <summary>
/// Latency of a full-size RepVGG-A0 (224 x 224, 1000 classes) on the CPU backend, as a user calls
/// it. In-process (Program adds <c>--inProcess</c>): the benchmark's own build already ran the weights
/// step and the generator.
/// </summary>
[MemoryDiagnoser]
public class RepVggA0Inference
{
    private RepVggA0 _network = null!;
    private float[] _images = null!;
    private float[] _logits = null!;

    /// <summary>Images per call.</summary>
    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _network = RepVggA0.Create(Backend.Cpu);
        var random = new Random(1);
        _images = new float[Batch * RepVggA0.InputChannels * RepVggA0.InputHeight * RepVggA0.InputWidth];
        for (int i = 0; i < _images.Length; i++) _images[i] = (float)(random.NextDouble() * 2 - 1);
        _logits = new float[Batch * RepVggA0.ClassCount];
        _network.Infer(_images, _logits); // sizes the activation buffers for this batch
    }

    [GlobalCleanup]
    public void Cleanup() => _network.Dispose();

    [Benchmark]
    public void Infer() => _network.Infer(_images, _logits);
}
