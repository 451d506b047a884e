using RepVgg.Cpu;

namespace RepVgg.Gpu.Winograd;

/// <summary>
/// A Winograd layer's transformed weights, relaid once (at engine creation) from the blob's CPU layout
/// (<see cref="WinogradPacking"/>: <c>[point][output block of 16][icInRange][oc lane]</c>) into the layout
/// the GPU's batched GEMM reads (<see cref="WinogradGemmKernel"/>):
/// <code>
/// U[point][icInGroup][oc]
/// </code>
/// Output channel <c>oc</c> of group <c>g</c> meets input channel <c>g * (IC / groups) + icInGroup</c>. For a
/// point and an input channel of the group, the output channels are contiguous, so the GEMM stages a row
/// of 64 of them with one coalesced read. The CPU's zero lanes (other groups' channels, padding past
/// OC) are dropped: points x IC / groups x OC floats.
/// </summary>
internal static class GpuWinogradWeights
{
    /// <summary>Floats of the GPU layout for <paramref name="layer"/>: points x (IC / groups) x OC.</summary>
    /// <exception cref="ArgumentException">The layer is not computed by Winograd.</exception>
    public static long Length(Conv3x3Layer layer) =>
        (long)WinogradPacking.Points(layer.Algorithm) * (layer.InChannels / layer.Groups) * layer.OutChannels;

    /// <summary>
    /// Relays <paramref name="layer"/>'s weights <paramref name="cpuPacked"/>, as the blob holds them
    /// (<see cref="WinogradPacking.PackedWeightLength"/> floats), into <paramref name="gpu"/>
    /// (<see cref="Length"/> floats).
    /// </summary>
    /// <exception cref="ArgumentException">The layer is not a Winograd one or a span has the wrong length.</exception>
    public static void Repack(ReadOnlySpan<float> cpuPacked, Conv3x3Layer layer, Span<float> gpu)
    {
        int inChannels = layer.InChannels, outChannels = layer.OutChannels, groups = layer.Groups;
        if (!layer.Algorithm.IsWinograd())
            throw new ArgumentException($"Layer {layer.Name} is computed by {layer.Algorithm}, not Winograd: its weights are not in a Winograd layout.", nameof(layer));
        int cpuLength = WinogradPacking.PackedWeightLength(layer.Algorithm, inChannels, outChannels, groups);
        if (cpuPacked.Length != cpuLength)
            throw new ArgumentException(
                $"Layer {layer.Name} ({layer.Algorithm}, {inChannels} -> {outChannels} channels, {groups} groups): expected {cpuLength} packed weight floats; found {cpuPacked.Length}.",
                nameof(cpuPacked));
        if (gpu.Length != Length(layer))
            throw new ArgumentException($"Layer {layer.Name}: expected a destination of {Length(layer)} floats; found {gpu.Length}.", nameof(gpu));

        int points = WinogradPacking.Points(layer.Algorithm);
        int cpuPointFloats = WinogradPacking.PointFloats(inChannels, outChannels, groups);
        int inPerGroup = inChannels / groups, outPerGroup = outChannels / groups;
        // Lanes innermost: both sides run 16 consecutive floats (a block's output channels) at a time.
        Span<int> groupStart = stackalloc int[Conv3x3Packing.BlockLanes]; // each lane's group's first input, in the block's range
        for (int block = 0; block < Conv3x3Packing.OutputBlockCount(outChannels); block++)
        {
            int firstInput = Conv3x3Packing.InputChannelRange(block, inChannels, outChannels, groups).First;
            int blockOffset = Conv3x3Packing.BlockWeightOffset(block, inChannels, outChannels, groups) / 9;
            int firstChannel = block * Conv3x3Packing.BlockLanes;
            int lanes = Math.Min(Conv3x3Packing.BlockLanes, outChannels - firstChannel);
            for (int lane = 0; lane < lanes; lane++)
                groupStart[lane] = (firstChannel + lane) / outPerGroup * inPerGroup - firstInput;
            for (int point = 0; point < points; point++)
                for (int icInGroup = 0; icInGroup < inPerGroup; icInGroup++)
                {
                    int target = (point * inPerGroup + icInGroup) * outChannels + firstChannel;
                    int source = point * cpuPointFloats + blockOffset + icInGroup * Conv3x3Packing.BlockLanes;
                    for (int lane = 0; lane < lanes; lane++)
                        gpu[target + lane] = cpuPacked[source + groupStart[lane] * Conv3x3Packing.BlockLanes + lane];
                }
        }
    }
}
