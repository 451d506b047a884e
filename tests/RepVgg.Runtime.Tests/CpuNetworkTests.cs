using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RepVgg.Cpu;

namespace RepVgg.Runtime.Tests;

/// <summary>
/// Whole networks on the CPU engine against the scalar references: chains of layers whose shapes
/// change, so each ping-pong buffer is reused with a different shape (stale data where the new
/// border lies), the head alone, and one engine serving batches of changing size.
/// </summary>
public class CpuNetworkTests
{
    public static TheoryData<string, int> Chains() => new()
    {
        { "stem-like", 256 }, { "stem-like", 512 },
        { "grouped", 256 }, { "grouped", 512 },
        { "one-pixel", 256 }, { "one-pixel", 512 },
    };

    private static TestNetwork Chain(string name) => name switch
    {
        // 3 x 33 x 47 -> 17 x 24 -> 9 x 12 -> 5 x 6, widths crossing 16-lane blocks, ending in depthwise.
        "stem-like" => TestNetwork.Create(7, 3, 33, 47,
            [new(16, 1, 2), new(16, 1, 1), new(48, 2, 2), new(48, 4, 1), new(33, 1, 2), new(33, 33, 1)], classes: 10),
        // 5 x 13 x 13 -> 7 x 7 -> 4 x 4, with 8-channel groups straddling a block.
        "grouped" => TestNetwork.Create(8, 5, 13, 13,
            [new(17, 1, 1), new(17, 17, 2), new(32, 1, 2), new(32, 4, 1), new(48, 2, 1)], classes: 7),
        // A 1 x 1 image all the way.
        "one-pixel" => TestNetwork.Create(9, 1, 1, 1, [new(16, 1, 2), new(48, 1, 1), new(5, 1, 1)], classes: 3),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Chains))]
    public void Chain_matches_scalar_reference_for_batches_1_to_3(string chain, int vectorBits)
    {
        TestNetwork network = Chain(chain);
        using CpuInferenceEngine engine = network.CreateEngine(CpuConv3x3Tests.Width(vectorBits));
        for (int batch = 1; batch <= 3; batch++)
            ReferenceComparison.CheckBatch(engine, network, batch, seed: 100 + batch);
    }

    /// <summary>
    /// A chain of Winograd layers (both algorithms, groups, channels past a block) from a compact blob, whose layers the
    /// engine transforms at Create, gives the prepacked blob's logits bit for bit, and the scalar reference's.
    /// </summary>
    [Theory]
    [InlineData(256)]
    [InlineData(512)]
    public void Compact_blob_gives_the_prepacked_blobs_logits(int vectorBits)
    {
        LayerSpec[] layers =
        [
            new(16, 1, 1), new(24, 1, 1, ConvAlgorithm.Winograd4x4), new(24, 2, 1, ConvAlgorithm.Winograd2x2),
            new(33, 1, 2), new(48, 3, 1, ConvAlgorithm.Winograd4x4), new(48, 16, 1, ConvAlgorithm.Winograd2x2),
        ];
        TestNetwork compact = TestNetwork.Create(12, 3, 15, 11, layers, classes: 5, WeightsLayout.Compact);
        TestNetwork prepacked = TestNetwork.Create(12, 3, 15, 11, layers, classes: 5, WeightsLayout.Prepacked);
        Assert.True(compact.Blob.Length < prepacked.Blob.Length, $"compact {compact.Blob.Length} floats, prepacked {prepacked.Blob.Length}");

        using CpuInferenceEngine fromCompact = compact.CreateEngine(CpuConv3x3Tests.Width(vectorBits));
        using CpuInferenceEngine fromPrepacked = prepacked.CreateEngine(CpuConv3x3Tests.Width(vectorBits));
        float[] images = compact.Images(batch: 2, seed: 3);
        Assert.Equal(Logits(fromPrepacked, prepacked.Layout, images), Logits(fromCompact, compact.Layout, images));
        ReferenceComparison.CheckBatch(fromCompact, compact, batch: 2, seed: 4);
    }

    /// <summary>The network's logits for <paramref name="images"/>, its layers run in order as a generated class runs them.</summary>
    private static float[] Logits(InferenceEngine engine, NetworkLayout layout, float[] images)
    {
        var logits = new float[images.Length / layout.ImageLength * layout.Head.Classes];
        engine.BeginBatch(images, logits);
        foreach (Conv3x3Layer layer in layout.Layers)
            engine.Conv3x3BiasRelu(layer);
        engine.GlobalAveragePoolLinear(layout.Head, logits);
        return logits;
    }

    /// <summary>Engines on one compact blob share the Winograd weights the first one transformed; a second blob gets its own.</summary>
    [Fact]
    public unsafe void Engines_on_one_compact_blob_share_its_transformed_weights()
    {
        TestNetwork network = TestNetwork.Create(13, 16, 6, 6, [new(32, 1, 1, ConvAlgorithm.Winograd4x4)], classes: 2, WeightsLayout.Compact);
        var weights = ModelWeights.FromArray(network.Blob, WeightsLayout.Compact);
        Conv3x3Layer layer = network.Layout.Layers[0];
        using (InferenceEngine.Create(Backend.Cpu, network.Layout, weights))
        {
            ReadOnlySpan<float> first = PlannedWeights.Of(weights).Of(layer);
            using (InferenceEngine.Create(Backend.Cpu, network.Layout, weights))
                Assert.True(Unsafe.AreSame(ref MemoryMarshal.GetReference(first), ref MemoryMarshal.GetReference(PlannedWeights.Of(weights).Of(layer))));
            var other = ModelWeights.FromArray(network.Blob, WeightsLayout.Compact);
            Assert.False(Unsafe.AreSame(ref MemoryMarshal.GetReference(first), ref MemoryMarshal.GetReference(PlannedWeights.Of(other).Of(layer))));
        }
    }

    [Theory]
    [InlineData(3, 7, 5, 10)]
    [InlineData(17, 1, 1, 1)]
    [InlineData(33, 13, 2, 4)]
    public void Head_alone_matches_scalar_reference(int channels, int height, int width, int classes)
    {
        var network = TestNetwork.Create(11, channels, height, width, [], classes);
        using CpuInferenceEngine engine = network.CreateEngine(VectorWidth.Vector256);
        ReferenceComparison.CheckBatch(engine, network, batch: 2, seed: 5);
    }

    [Fact]
    public void One_engine_serves_batches_that_grow_and_shrink()
    {
        TestNetwork network = Chain("grouped");
        using CpuInferenceEngine engine = network.CreateEngine(VectorWidth.Vector256);
        foreach (int batch in new[] { 1, 3, 2, 1, 3 })
            ReferenceComparison.CheckBatch(engine, network, batch, seed: 200 + batch);
    }

    [Fact]
    public void Default_kernel_is_the_widest_accelerated()
    {
        var network = TestNetwork.Create(1, 3, 5, 5, [new(16, 1, 1)], classes: 2);
        using var engine = (CpuInferenceEngine)InferenceEngine.Create(Backend.Auto, network.Layout, ModelWeights.FromArray(network.Blob, WeightsLayout.Prepacked));
        VectorWidth expected =
            System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? VectorWidth.Vector512
            : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? VectorWidth.Vector256
            : System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated ? VectorWidth.Vector128
            : VectorWidth.Scalar;
        Assert.Equal(expected, engine.KernelWidth);
        ReferenceComparison.CheckBatch(engine, network, batch: 1, seed: 3);
    }
}
