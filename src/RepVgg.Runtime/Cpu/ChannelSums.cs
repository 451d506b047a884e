using System.Runtime.Intrinsics;

namespace RepVgg.Cpu;

/// <summary>
/// Per-channel sums a conv layer takes of its own output while it is still in cache, for the layer's
/// squeeze-and-excitation (<see cref="SqueezeExcitationWork"/>), which then needs no pass of its own to pool. Each work
/// item of the conv writes the sums of the pixels it produced into slots of its own (16 lanes each, one channel block),
/// and the conv adds the slots up per image and block afterwards, in float64.
/// </summary>
internal static unsafe class ChannelSums
{
    private const int Lanes = ChannelBlockedLayout.Lanes;

    /// <summary>
    /// Adds the <paramref name="rows"/> x <paramref name="columns"/> pixels from <paramref name="topLeft"/> (one channel
    /// block, <paramref name="rowFloats"/> between rows) to the 16 sums at <paramref name="slot"/>, in two halves of 8
    /// lanes (Vector256 is accelerated on every machine the kernels run on).
    /// </summary>
    public static void Add(float* topLeft, long rowFloats, int rows, int columns, float* slot)
    {
        Vector256<float> low = Vector256.Load(slot), high = Vector256.Load(slot + Lanes / 2);
        for (int y = 0; y < rows; y++)
        {
            float* pixel = topLeft + y * rowFloats;
            for (int x = 0; x < columns; x++, pixel += Lanes)
            {
                low += Vector256.Load(pixel);
                high += Vector256.Load(pixel + Lanes / 2);
            }
        }
        low.Store(slot);
        high.Store(slot + Lanes / 2);
    }

    /// <summary>Adds the 16 sums at <paramref name="slot"/> to <paramref name="totals"/> in float64.</summary>
    public static void Accumulate(float* slot, Span<double> totals)
    {
        for (int lane = 0; lane < Lanes; lane++) totals[lane] += slot[lane];
    }
}
