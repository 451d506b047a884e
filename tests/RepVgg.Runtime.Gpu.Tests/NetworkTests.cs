using RepVgg.Compiler.Architecture;
using RepVgg.Gpu;
using RepVgg.Compiler.Reference;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// Whole compiled networks through the engine, as a generated class runs them, against the unfused float64
/// reference: logits within the project's float32 tolerance and the same top-1 class.
/// </summary>
public class NetworkTests(TestAccelerator device) : IClassFixture<TestAccelerator>
{
    private const int Classes = 10;

    // A small RepVGG: the stem (stem kernel), stride-2 and stride-1 blocks, groups 2 and 4, widths off the tiles.
    private static readonly BlockShape[] Shapes =
    [
        new(0, 0, 3, 16, 2, 1),
        new(1, 0, 16, 32, 2, 1),
        new(1, 1, 32, 32, 1, 2),
        new(1, 2, 32, 32, 1, 1),
        new(2, 0, 32, 48, 2, 1),
        new(2, 1, 48, 48, 1, 4),
    ];

    /// <summary>
    /// At 32 x 32 the weights step plans Winograd for the 8 x 8 stride-1 layers, which the engine runs with its Winograd
    /// kernels: on weights transformed at Create from a compact blob, or as a prepacked blob holds them.
    /// </summary>
    [Theory]
    [InlineData(WeightsLayout.Compact)]
    [InlineData(WeightsLayout.Prepacked)]
    public void Planned_network_with_winograd_layers_matches_the_float64_reference(WeightsLayout blobLayout)
    {
        var (network, layout, weights) = CompiledModels.Compile(Shapes, Classes, 32, 32, seed: 21, calibration: new(1, 32, 32), layout: blobLayout);
        Assert.Contains(layout.Layers, layer => layer.Algorithm != ConvAlgorithm.Direct);

        AssertMatchesReference(network, layout, weights, batch: 2);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // every layer as a direct implicit GEMM, on the Winograd layers' weights untransformed (the GPU check's comparison)
    public void Every_algorithm_in_turn_at_an_odd_size_matches_the_float64_reference(bool allDirect)
    {
        int stride1Layers = 0;
        var (network, layout, weights) = CompiledModels.Compile(Shapes, Classes, 19, 23, seed: 22,
            (block, _, _) => block.Stride != 1 ? ConvAlgorithm.Direct : (stride1Layers++ % 3) switch
            {
                0 => ConvAlgorithm.Winograd2x2,
                1 => ConvAlgorithm.Winograd4x4,
                _ => ConvAlgorithm.Direct,
            },
            calibration: new(1, 19, 23));
        Assert.Contains(layout.Layers, layer => layer.Algorithm == ConvAlgorithm.Winograd2x2);
        Assert.Contains(layout.Layers, layer => layer.Algorithm == ConvAlgorithm.Winograd4x4);

        AssertMatchesReference(network, layout, weights, batch: 3, allDirect);
    }

    /// <summary>
    /// What the logits of this network keep in TF32 or FP16 (relative L2 against the float64 reference): each layer's
    /// error is within <see cref="Precision"/>'s bound (<see cref="TensorCoreConvTests"/>), and how far that moves the
    /// logits depends on how much the network cancels; this one measured 6.5e-4 in either format.
    /// </summary>
    private const double ReducedPrecisionTolerance = 1e-2;

    [Theory]
    [InlineData(Precision.Tf32)]
    [InlineData(Precision.Fp16)]
    public void Planned_network_in_reduced_precision_keeps_its_logits_within_tolerance(Precision precision)
    {
        // Both Winograd algorithms among the layers: in a reduced precision they run the tensor-core kernel on untransformed weights.
        int stride1Layers = 0;
        var (network, layout, weights) = CompiledModels.Compile(Shapes, Classes, 16, 16, seed: 21,
            (block, _, _) => block.Stride != 1 ? ConvAlgorithm.Direct : stride1Layers++ % 2 == 0 ? ConvAlgorithm.Winograd2x2 : ConvAlgorithm.Winograd4x4,
            calibration: new(1, 16, 16));
        Assert.Contains(layout.Layers, layer => layer.Algorithm == ConvAlgorithm.Winograd2x2);
        Assert.Contains(layout.Layers, layer => layer.Algorithm == ConvAlgorithm.Winograd4x4);

        var (reference, logits) = Run(network, layout, weights, batch: 2, precision);

        NumericAssert.Close(reference, logits, ReducedPrecisionTolerance, $"{precision} logits at 16 x 16", [2, Classes]);
    }

    /// <summary>
    /// <see cref="Shapes"/> with a squeeze-and-excitation on every block (issue #26), before the ReLU with a sixteenth of the
    /// channels as in RepVGG-D2se, or after it with a quarter as in RepVGGplus-L2pse.
    /// </summary>
    private static BlockShape[] Squeezed(SqueezePlacement placement, int reduction) =>
        Shapes.Select(shape => shape with { Squeeze = new SqueezeShape(placement, shape.Out / reduction) }).ToArray();

    [Theory]
    [InlineData(SqueezePlacement.BeforeRelu, 16)]
    [InlineData(SqueezePlacement.AfterRelu, 4)]
    public void Squeeze_and_excitation_network_with_every_kernel_matches_the_float64_reference(SqueezePlacement placement, int reduction)
    {
        // The stem kernel, the implicit GEMM and both Winograd algorithms, each leaving the ReLU to a unit before it.
        int stride1Layers = 0;
        var (network, layout, weights) = CompiledModels.Compile(Squeezed(placement, reduction), Classes, 19, 23, seed: 23,
            (block, _, _) => block.Stride != 1 ? ConvAlgorithm.Direct : (stride1Layers++ % 3) switch
            {
                0 => ConvAlgorithm.Winograd2x2,
                1 => ConvAlgorithm.Winograd4x4,
                _ => ConvAlgorithm.Direct,
            },
            calibration: new(1, 19, 23));
        Assert.All(layout.Layers, layer => Assert.Equal(placement, layer.Squeeze!.Placement));

        AssertMatchesReference(network, layout, weights, batch: 2);
    }

    [Theory]
    [InlineData(Precision.Tf32)]
    [InlineData(Precision.Fp16)]
    public void Squeeze_and_excitation_network_in_reduced_precision_keeps_its_logits_within_tolerance(Precision precision)
    {
        var (network, layout, weights) = CompiledModels.Compile(Squeezed(SqueezePlacement.BeforeRelu, 16), Classes, 16, 16, seed: 24,
            calibration: new(1, 16, 16));

        var (reference, logits) = Run(network, layout, weights, batch: 2, precision);

        NumericAssert.Close(reference, logits, ReducedPrecisionTolerance, $"{precision} logits of the squeeze-and-excitation network at 16 x 16", [2, Classes]);
    }

    private void AssertMatchesReference(TrainedNetwork network, NetworkLayout layout, ModelWeights weights, int batch, bool allDirect = false)
    {
        var (reference, logits) = Run(network, layout, weights, batch, Precision.Fp32, allDirect);

        string plan = string.Join(", ", layout.Layers.Select(layer => $"{layer.Name} {layer.Algorithm}"));
        NumericAssert.Close(reference, logits, NumericAssert.Float32Tolerance, $"logits at {layout.InputHeight} x {layout.InputWidth} ({plan})", [batch, Classes]);
        for (int n = 0; n < batch; n++)
            Assert.Equal(TopClass(reference, n), TopClass(logits.Select(v => (double)v).ToArray(), n));
    }

    /// <summary>The unfused float64 reference's logits and the engine's for the same random batch.</summary>
    private (double[] Reference, float[] Logits) Run(TrainedNetwork network, NetworkLayout layout, ModelWeights weights, int batch, Precision precision,
        bool allDirect = false)
    {
        float[] images = CompiledModels.RandomFloats(batch * layout.ImageLength, seed: 9);
        var logits = new float[batch * Classes];
        using (GpuInferenceEngine engine = TestEngines.Create(device.Cpu, layout, weights, precision, new(AllDirect: allDirect)))
        {
            if (allDirect)
                Assert.All(layout.Layers, layer => Assert.DoesNotContain("Winograd", engine.DescribeKernel(layer, batch)));
            engine.BeginBatch(images, logits);
            foreach (Conv3x3Layer layer in layout.Layers) engine.Conv3x3BiasRelu(layer);
            engine.GlobalAveragePoolLinear(layout.Head, logits);
        }
        double[] reference = UnfusedReference.Forward(network,
            Activation.FromFloats(images, batch, layout.InputChannels, layout.InputHeight, layout.InputWidth));
        return (reference, logits);
    }

    private static int TopClass(double[] logits, int image) =>
        Enumerable.Range(0, Classes).MaxBy(c => logits[image * Classes + c]);
}
