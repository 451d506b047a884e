using RepVgg.Cpu;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// The blob's Winograd packing (<see cref="WinogradPacking"/>), as the weights step runs it: the GPU relays exactly
/// what the blob holds.
/// </summary>
internal static class WinogradCpuPacking
{
    /// <summary>Weights (OC, IC / groups, 3, 3) transformed and packed for <paramref name="algorithm"/> as in the blob.</summary>
    public static float[] Pack(ConvAlgorithm algorithm, float[] oihw, int inChannels, int outChannels, int groups)
    {
        var packed = new float[WinogradPacking.PackedWeightLength(algorithm, inChannels, outChannels, groups)];
        WinogradPacking.PackWeights(algorithm, oihw, inChannels, outChannels, groups, packed);
        return packed;
    }
}
