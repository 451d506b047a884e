using System.Reflection;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// The blob's Winograd packing, <c>RepVgg.Cpu.WinogradPacking.PackWeights</c>, as the weights step runs it:
/// the GPU relays exactly what the blob holds. RepVgg.Runtime shows its internals to the GPU assembly, not
/// to this test project, so the packer is bound here by reflection, once.
/// </summary>
internal static class WinogradCpuPacking
{
    private delegate void PackWeightsDelegate(ConvAlgorithm algorithm, ReadOnlySpan<float> oihw, int inChannels, int outChannels, int groups, Span<float> packed);

    private static readonly Type s_packing = typeof(Conv3x3Layer).Assembly.GetType("RepVgg.Cpu.WinogradPacking", throwOnError: true)!;

    private static readonly PackWeightsDelegate s_pack =
        s_packing.GetMethod("PackWeights", BindingFlags.Public | BindingFlags.Static)!.CreateDelegate<PackWeightsDelegate>();

    private static readonly Func<ConvAlgorithm, int, int, int, int> s_length =
        s_packing.GetMethod("PackedWeightLength", BindingFlags.Public | BindingFlags.Static)!.CreateDelegate<Func<ConvAlgorithm, int, int, int, int>>();

    /// <summary>Weights (OC, IC / groups, 3, 3) transformed and packed for <paramref name="algorithm"/> as in the blob.</summary>
    public static float[] Pack(ConvAlgorithm algorithm, float[] oihw, int inChannels, int outChannels, int groups)
    {
        var packed = new float[s_length(algorithm, inChannels, outChannels, groups)];
        s_pack(algorithm, oihw, inChannels, outChannels, groups, packed);
        return packed;
    }
}
