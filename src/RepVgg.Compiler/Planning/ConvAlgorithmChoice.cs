using RepVgg.Compiler.Manifest;
using RepVgg.Cpu;

namespace RepVgg.Compiler.Planning;

/// <summary>
/// Chooses each fused layer's algorithm at build time, by a cost model of the CPU kernels: the
/// vector instructions per output pixel and 16-channel output block.
/// </summary>
/// <remarks>
/// <para>
/// Direct convolution costs <c>9 c</c>: one FMA per tap and input channel, where <c>c</c> is the
/// input channels one output block reads (all of them, or its groups'). Winograd F(4x4, 3x3) costs
/// <c>2.25 c</c> (36 FMAs per 16-pixel tile and input channel) plus its transforms: about 100 vector
/// operations per tile and output block for the output transform and 150 per tile and input block for
/// the input transform, shared by every output block, so <c>6 + 9.4 i / o</c> per pixel, with
/// <c>i</c> and <c>o</c> the input and output blocks. For RepVGG's stride-1 layers (48 to 2048
/// channels) that is 2.5 to 3.5 times fewer operations; direct wins only for a handful of input
/// channels, such as a stride-1 stem on RGB.
/// </para>
/// <para>
/// The choice does not depend on the input size, so one manifest serves any <c>InputHeight</c> and
/// <c>InputWidth</c>: tiles that hang over the right or bottom edge waste some of the saving on small
/// activations (a 7 x 7 layer computes 8 x 8), never all of it.
/// </para>
/// </remarks>
public static class ConvAlgorithmChoice
{
    /// <summary>Channels per block of the packed layouts (<see cref="Conv3x3Packing"/>).</summary>
    private const int BlockLanes = 16;

    /// <summary>The manifest name of the algorithm for a layer of this shape.</summary>
    public static string Choose(int inChannels, int outChannels, int groups, int stride)
    {
        if (stride != 1)
            return ManifestAlgorithms.Direct;
        int outputBlocks = (outChannels + BlockLanes - 1) / BlockLanes;
        int inputBlocks = (inChannels + BlockLanes - 1) / BlockLanes;
        // Input channels per output block, averaged: the packed weights hold 9 x 16 floats per block and input channel.
        double inputs = (double)Conv3x3Packing.PackedWeightLength(inChannels, outChannels, groups) / (9 * BlockLanes) / outputBlocks;
        double direct = 9 * inputs;
        double winograd = 2.25 * inputs + 6 + 9.4 * inputBlocks / outputBlocks;
        return winograd < direct ? ManifestAlgorithms.Winograd4x4 : ManifestAlgorithms.Direct;
    }
}
