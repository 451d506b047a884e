using RepVgg.Cpu;
using RepVgg.Runtime.Tests.Reference;

namespace RepVgg.Runtime.Tests;

/// <summary>What a test asks of one layer: its output channels, groups, stride and algorithm.</summary>
internal readonly record struct LayerSpec(int OutChannels, int Groups, int Stride, ConvAlgorithm Algorithm = ConvAlgorithm.Direct);

/// <summary>
/// A small network with seeded random fused weights, packed into a blob the way the weights step
/// packs it, together with the unpacked weights the scalar references use.
/// </summary>
internal sealed class TestNetwork
{
    private TestNetwork(NetworkLayout layout, float[] blob, WeightsLayout blobLayout, float[][] layerWeights, float[][] layerBiases, float[] headWeight, float[] headBias)
    {
        Layout = layout;
        Blob = blob;
        BlobLayout = blobLayout;
        LayerWeights = layerWeights;
        LayerBiases = layerBiases;
        HeadWeight = headWeight;
        HeadBias = headBias;
    }

    public NetworkLayout Layout { get; }

    /// <summary>The packed blob; it starts with one unused float so the engine reads every tensor unaligned.</summary>
    public float[] Blob { get; }

    /// <summary>How <see cref="Blob"/> holds the layers' weights.</summary>
    public WeightsLayout BlobLayout { get; }

    /// <summary>Per layer, (OutChannels, InChannels / Groups, 3, 3).</summary>
    public float[][] LayerWeights { get; }

    public float[][] LayerBiases { get; }

    /// <summary>(Classes, Features).</summary>
    public float[] HeadWeight { get; }

    public float[] HeadBias { get; }

    /// <summary>
    /// Builds a network on a C x H x W input with <paramref name="layers"/> and a head of <paramref name="classes"/>,
    /// its blob in <paramref name="blobLayout"/>.
    /// </summary>
    public static TestNetwork Create(int seed, int inChannels, int height, int width, IReadOnlyList<LayerSpec> layers, int classes,
        WeightsLayout blobLayout = WeightsLayout.Prepacked)
    {
        var random = new Random(seed);
        (int inputHeight, int inputWidth) = (height, width);
        var blob = new List<float> { 0f };
        var descriptions = new List<Conv3x3Layer>();
        var weights = new float[layers.Count][];
        var biases = new float[layers.Count][];
        int channels = inChannels;
        for (int i = 0; i < layers.Count; i++)
        {
            LayerSpec spec = layers[i];
            // He-scaled weights keep activations near unit size through a chain of ReLUs.
            float scale = MathF.Sqrt(2f / (channels / spec.Groups * 9));
            weights[i] = Uniform(random, spec.OutChannels * (channels / spec.Groups) * 9, scale * MathF.Sqrt(3));
            biases[i] = Uniform(random, spec.OutChannels, 0.1f);

            float[] packedWeights = Pack(weights[i], channels, spec, blobLayout);
            var packedBias = new float[Conv3x3Packing.PackedBiasLength(spec.OutChannels)];
            Conv3x3Packing.PackBias(biases[i], packedBias);

            var layer = new Conv3x3Layer($"layer{i}", channels, spec.OutChannels, spec.Groups, spec.Stride, height, width,
                WeightOffset: blob.Count, BiasOffset: blob.Count + packedWeights.Length, spec.Algorithm);
            blob.AddRange(packedWeights);
            blob.AddRange(packedBias);
            descriptions.Add(layer);
            (channels, height, width) = (spec.OutChannels, layer.OutHeight, layer.OutWidth);
        }

        float[] headWeight = Uniform(random, classes * channels, 1f / MathF.Sqrt(channels));
        float[] headBias = Uniform(random, classes, 0.1f);
        var head = new LinearHead(channels, classes, WeightOffset: blob.Count, BiasOffset: blob.Count + headWeight.Length);
        blob.AddRange(headWeight);
        blob.AddRange(headBias);

        var layout = new NetworkLayout(inChannels, inputHeight, inputWidth, descriptions, head);
        return new TestNetwork(layout, blob.ToArray(), blobLayout, weights, biases, headWeight, headBias);
    }

    /// <summary>The weights as the weights step packs them: in the layout of the layer's algorithm, or direct in a compact blob.</summary>
    private static float[] Pack(float[] weights, int inChannels, LayerSpec spec, WeightsLayout blobLayout)
    {
        ConvAlgorithm stored = Conv3x3Packing.StoredAlgorithm(blobLayout, spec.Algorithm);
        var packed = new float[Conv3x3Packing.PackedWeightLength(stored, inChannels, spec.OutChannels, spec.Groups)];
        Conv3x3Packing.PackWeights(stored, weights, inChannels, spec.OutChannels, spec.Groups, packed);
        return packed;
    }

    /// <summary>The CPU engine over this network's blob, running the kernel of <paramref name="width"/>.</summary>
    public CpuInferenceEngine CreateEngine(VectorWidth width)
    {
        var engine = (CpuInferenceEngine)InferenceEngine.Create(Backend.Cpu, Layout, ModelWeights.FromArray(Blob, BlobLayout));
        engine.KernelWidth = width;
        return engine;
    }

    /// <summary>Seeded images, (batch, C, H, W), uniform in [-1, 1].</summary>
    public float[] Images(int batch, int seed) => Uniform(new Random(seed), batch * Layout.ImageLength, 1f);

    /// <summary>Layer <paramref name="index"/> by the scalar reference, on NCHW <paramref name="input"/>.</summary>
    public float[] ReferenceLayer(int index, float[] input, int batch)
    {
        Conv3x3Layer layer = Layout.Layers[index];
        double[] output = Conv3x3Reference.Run(input, batch, layer.InChannels, layer.InHeight, layer.InWidth,
            LayerWeights[index], LayerBiases[index], layer.OutChannels, layer.Groups, layer.Stride);
        return Array.ConvertAll(output, value => (float)value);
    }

    /// <summary>The head by the scalar reference, on the NCHW output of the last layer.</summary>
    public float[] ReferenceHead(float[] features, int batch)
    {
        (int height, int width) = Layout.Layers.Count > 0
            ? (Layout.Layers[^1].OutHeight, Layout.Layers[^1].OutWidth)
            : (Layout.InputHeight, Layout.InputWidth);
        return GlobalAveragePoolLinearReference.Compute(features, batch, Layout.Head.Features, height, width,
            HeadWeight, HeadBias, Layout.Head.Classes);
    }

    private static float[] Uniform(Random random, int count, float limit)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1) * limit;
        return values;
    }
}
