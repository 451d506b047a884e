using RepVgg.Compiler;
using RepVgg.Compiler.Synthetic;

namespace RepVgg.GpuCheck;

/// <summary>Runs a compiled network on an engine, makes its probe images, and compares logits.</summary>
internal static class NetworkRun
{
    /// <summary>One call, as a generated class makes it (<see cref="NetworkLayouts.Infer(InferenceEngine, ReadOnlySpan{float}, Span{float})"/>).</summary>
    public static float[] Infer(InferenceEngine engine, ReadOnlySpan<float> images)
    {
        NetworkLayout network = engine.Network;
        var logits = new float[images.Length / network.ImageLength * network.Head.Classes];
        NetworkLayouts.Infer(engine, images, logits);
        return logits;
    }

    /// <summary>
    /// A deterministic NCHW batch that looks like normalised photos (<see cref="SyntheticNetwork.RandomImages"/>):
    /// the same images on every machine for a seed.
    /// </summary>
    public static float[] Images(int batch, int channels, int height, int width, ulong seed)
    {
        if (channels != 3)
            throw new ArgumentException($"Synthetic images have 3 channels; the network takes {channels}.", nameof(channels));
        double[] values = SyntheticNetwork.RandomImages(new DeterministicRandom(seed), new SyntheticNetwork.Calibration(batch, height, width)).Data;
        return Array.ConvertAll(values, v => (float)v);
    }

    /// <summary>||actual - expected||_2 / ||expected||_2, in float64.</summary>
    public static double RelativeL2(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        if (actual.Length != expected.Length)
            throw new ArgumentException($"Comparing {actual.Length} values with {expected.Length}.", nameof(actual));
        double error = 0, norm = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double difference = actual[i] - expected[i];
            error += difference * difference;
            norm += expected[i] * expected[i];
        }
        return Math.Sqrt(error) / Math.Max(Math.Sqrt(norm), double.Epsilon);
    }

    /// <inheritdoc cref="RelativeL2(ReadOnlySpan{float}, ReadOnlySpan{double})"/>
    public static double RelativeL2(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected) =>
        RelativeL2(actual, Array.ConvertAll(expected.ToArray(), v => (double)v));
}
