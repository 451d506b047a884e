using RepVgg.Manifest;
using RepVgg.Cpu;

namespace RepVgg.Compiler.Planning;

/// <summary>
/// Chooses each fused layer's algorithm at build time by a cost model of the CPU kernels at batch 1,
/// the latency a single <c>Infer</c> sees.
/// </summary>
/// <remarks>
/// <para>
/// A layer's cost is the larger of its arithmetic and the time to bring its weights in, plus the
/// Winograd tiles' transforms, all in floating-point operations:
/// <c>max(2 x multiply-adds, 9 x weight bytes) + 8 x points x tiles x (input + output channels)</c>.
/// At batch 1 every layer's weights come from L3 or memory on each call (a network's weights are
/// far larger than L2), at about 20 GB/s on the two cores this project measures on, while the
/// kernels compute about 180 GFLOP/s there: 9 operations per byte. Winograd cuts the arithmetic
/// (F(2x2, 3x3) to 4/9, F(4x4, 3x3) to 2.25/9 of direct, plus the tiles that hang over the edge) but
/// multiplies the weights (16/9, 36/9), so F(4x4, 3x3) wins where activations are large and
/// channels few, F(2x2, 3x3) where channels are many and activations small (RepVGG's 14 x 14 stage),
/// and direct convolution at stride 2, which the Winograd kernels do not do.
/// </para>
/// <para>
/// The activation's size is the item's <c>InputHeight</c> x <c>InputWidth</c> carried through the
/// strides; any algorithm is correct at any size, only the speed depends on it.
/// </para>
/// </remarks>
public static class ConvAlgorithmChoice
{
    /// <summary>Floating-point operations the kernels do in the time one byte of weights arrives.</summary>
    private const double OperationsPerWeightByte = 9;

    /// <summary>Operations per point, tile and channel of a Winograd input or output transform (adds, a few multiplies, loads, stores).</summary>
    private const double TransformOperations = 8;

    /// <summary>The algorithm for a layer of this shape whose input is <paramref name="height"/> x <paramref name="width"/>.</summary>
    public static ConvAlgorithm Choose(int inChannels, int outChannels, int groups, int stride, int height, int width)
    {
        if (stride != 1)
            return ConvAlgorithm.Direct;
        ConvAlgorithm best = ConvAlgorithm.Direct;
        double bestCost = Cost(ConvAlgorithm.Direct, inChannels, outChannels, groups, height, width);
        foreach (ConvAlgorithm winograd in new[] { ConvAlgorithm.Winograd2x2, ConvAlgorithm.Winograd4x4 })
        {
            double cost = Cost(winograd, inChannels, outChannels, groups, height, width);
            if (cost < bestCost)
                (best, bestCost) = (winograd, cost);
        }
        return best;
    }

    /// <summary>The modelled cost of one image through the layer, in floating-point operations.</summary>
    public static double Cost(ConvAlgorithm algorithm, int inChannels, int outChannels, int groups, int height, int width)
    {
        // Multiply-adds per output pixel, or per tile point, for all output channels: the packed weights
        // hold one float per (input channel of a block's range, output lane) and tap or point.
        double directFloats = Conv3x3Packing.PackedWeightLength(inChannels, outChannels, groups);
        if (algorithm == ConvAlgorithm.Direct)
            return Math.Max(2 * directFloats * height * width, OperationsPerWeightByte * 4 * directFloats);

        int tileSize = algorithm == ConvAlgorithm.Winograd2x2 ? 2 : 4;
        double tiles = Math.Ceiling(height / (double)tileSize) * Math.Ceiling(width / (double)tileSize);
        double points = WinogradPacking.Points(algorithm);
        double weightFloats = WinogradPacking.PackedWeightLength(algorithm, inChannels, outChannels, groups);
        double arithmetic = 2 * weightFloats * tiles;
        double transforms = TransformOperations * points * tiles * (RoundUp16(inChannels) + RoundUp16(outChannels));
        return Math.Max(arithmetic, OperationsPerWeightByte * 4 * weightFloats) + transforms;
    }

    /// <summary>The manifest's name for <paramref name="algorithm"/>.</summary>
    public static string ManifestName(ConvAlgorithm algorithm) => algorithm switch
    {
        ConvAlgorithm.Winograd2x2 => ManifestAlgorithms.Winograd2x2,
        ConvAlgorithm.Winograd4x4 => ManifestAlgorithms.Winograd4x4,
        _ => ManifestAlgorithms.Direct,
    };

    /// <summary>The algorithm a manifest names.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="ManifestAlgorithms"/>.</exception>
    public static ConvAlgorithm FromManifestName(string name) => name switch
    {
        ManifestAlgorithms.Direct => ConvAlgorithm.Direct,
        ManifestAlgorithms.Winograd2x2 => ConvAlgorithm.Winograd2x2,
        ManifestAlgorithms.Winograd4x4 => ConvAlgorithm.Winograd4x4,
        _ => throw new ArgumentException($"Unknown algorithm '{name}'; expected one of direct, winograd-f2x2, winograd-f4x4.", nameof(name)),
    };

    private static int RoundUp16(int channels) => (channels + 15) / 16 * 16;
}
