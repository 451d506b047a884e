using System.Diagnostics;
using RepVgg.Compiler;

namespace RepVgg.GpuCheck;

/// <summary>The median and the fastest of repeated runs, in milliseconds.</summary>
internal sealed record Measurement(double MedianMs, double MinMs)
{
    public static Measurement Of(IReadOnlyList<double> milliseconds)
    {
        double[] sorted = milliseconds.Order().ToArray();
        int middle = sorted.Length / 2;
        double median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Measurement(median, sorted[0]);
    }

    public override string ToString() => $"{MedianMs:F2} ({MinMs:F2})";
}

/// <summary>One network call timed two ways.</summary>
/// <param name="Infer">The whole call as a generated class's <c>Infer</c> makes it: input upload, layers, head, logits back.</param>
/// <param name="OnDevice">From the input being on the device to the logits being back: the layers and the head, as cuDNN timings count.</param>
internal sealed record CallTiming(Measurement Infer, Measurement OnDevice);

/// <summary>One layer's share of a call.</summary>
/// <param name="Layer">The layer, or null for the pooling + classifier head.</param>
internal sealed record LayerTiming(Conv3x3Layer? Layer, Measurement Time);

/// <summary>
/// Times an engine after warm-up calls (the first compiles the kernels and allocates the buffers). The clock is
/// read only where the engine has synchronized, so each figure is finished device work.
/// </summary>
internal static class Timing
{
    public static CallTiming Call(InferenceEngine engine, float[] images, int warmUp, int repetitions)
    {
        NetworkLayout network = engine.Network;
        var logits = new float[images.Length / network.ImageLength * network.Head.Classes];
        for (int i = 0; i < warmUp; i++) NetworkLayouts.Infer(engine, images, logits);
        var infer = new List<double>();
        var onDevice = new List<double>();
        for (int i = 0; i < repetitions; i++)
        {
            long start = Stopwatch.GetTimestamp();
            engine.BeginBatch(images, logits);
            engine.Synchronize();
            long loaded = Stopwatch.GetTimestamp();
            foreach (Conv3x3Layer layer in network.Layers) engine.Conv3x3BiasRelu(layer);
            engine.GlobalAveragePoolLinear(network.Head, logits);
            long end = Stopwatch.GetTimestamp();
            infer.Add(Stopwatch.GetElapsedTime(start, end).TotalMilliseconds);
            onDevice.Add(Stopwatch.GetElapsedTime(loaded, end).TotalMilliseconds);
        }
        return new CallTiming(Measurement.Of(infer), Measurement.Of(onDevice));
    }

    /// <summary>
    /// Each layer timed alone: the engine synchronizes after every layer, so the device idles between them and
    /// the sum is a little above <see cref="CallTiming.OnDevice"/>.
    /// </summary>
    public static IReadOnlyList<LayerTiming> PerLayer(InferenceEngine engine, float[] images, int warmUp, int repetitions)
    {
        NetworkLayout network = engine.Network;
        var logits = new float[images.Length / network.ImageLength * network.Head.Classes];
        for (int i = 0; i < warmUp; i++) NetworkLayouts.Infer(engine, images, logits);
        var samples = new List<double>[network.Layers.Count + 1];
        for (int l = 0; l < samples.Length; l++) samples[l] = [];
        for (int i = 0; i < repetitions; i++)
        {
            engine.BeginBatch(images, logits);
            engine.Synchronize();
            for (int l = 0; l < network.Layers.Count; l++)
            {
                long start = Stopwatch.GetTimestamp();
                engine.Conv3x3BiasRelu(network.Layers[l]);
                engine.Synchronize();
                samples[l].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            long headStart = Stopwatch.GetTimestamp();
            engine.GlobalAveragePoolLinear(network.Head, logits);
            samples[^1].Add(Stopwatch.GetElapsedTime(headStart).TotalMilliseconds);
        }
        return network.Layers.Select((layer, l) => new LayerTiming(layer, Measurement.Of(samples[l])))
            .Append(new LayerTiming(null, Measurement.Of(samples[^1]))).ToArray();
    }

    /// <summary>FLOPs of one layer counted as direct convolution, a multiply-add as 2, whatever algorithm runs it.</summary>
    public static double DirectConvolutionFlops(Conv3x3Layer layer, int batch) =>
        2.0 * batch * layer.OutChannels * (layer.InChannels / layer.Groups) * 9 * layer.OutHeight * layer.OutWidth;
}
