using RepVgg.Compiler.Architecture;

namespace RepVgg.Runtime.Benchmarks;

/// <summary>Floating-point operations (a multiply-add is two) of the fused network, to turn times into GFLOP/s.</summary>
internal static class Flops
{
    /// <summary>One fused layer on one image: 2 x 9 x (Cin / groups) x Cout x Hout x Wout (bias and ReLU not counted).</summary>
    public static double Conv3x3(Conv3x3Layer layer) =>
        2.0 * 9 * (layer.InChannels / layer.Groups) * layer.OutChannels * layer.OutHeight * layer.OutWidth;

    /// <summary>
    /// One image through <paramref name="variant"/> at <paramref name="height"/> x <paramref name="width"/>:
    /// every conv plus the classifier. RepVGG-A0 at 224 x 224 is 2.72 GFLOP, B1 23.63.
    /// </summary>
    public static double PerImage(RepVggVariant variant, int height, int width)
    {
        double flops = 0;
        int features = 0;
        foreach (BlockShape block in variant.Blocks())
        {
            var layer = new Conv3x3Layer("", block.In, block.Out, block.Groups, block.Stride, height, width, 0, 0);
            flops += Conv3x3(layer);
            (height, width, features) = (layer.OutHeight, layer.OutWidth, block.Out);
        }
        return flops + 2.0 * features * variant.Classes;
    }
}
