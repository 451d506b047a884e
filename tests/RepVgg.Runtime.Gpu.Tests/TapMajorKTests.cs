using RepVgg.Gpu.Kernels;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>The kernels' split of a tap-major k into tap and channel, and of a tap into its window row, by multiply-high, against C#'s integer division.</summary>
public class TapMajorKTests
{
    [Fact]
    public void Tap_and_channel_are_exact_over_every_k_of_a_layer_and_two_steps_past_it()
    {
        // Every channel count per tap the layouts make up to 4096 (multiples of 4; RepVGG's largest is 2560), every k of
        // K = 9 x that, and 64 k beyond (two tensor-core FP16 steps, more than any kernel's prefetch reads); then the
        // largest count the stated bound allows.
        foreach (int channelsPerTap in Enumerable.Range(1, 1024).Select(i => 4 * i).Append(20_000))
        {
            var k = new TapMajorK(channelsPerTap);
            for (int position = 0; position < TapMajorK.Taps * channelsPerTap + 64; position++)
            {
                int tap = k.Tap(position);
                if (tap != position / channelsPerTap || k.Channel(position, tap) != position % channelsPerTap)
                    Assert.Fail($"k = {position}, {channelsPerTap} channels a tap: tap {tap}, channel {k.Channel(position, tap)}; expected {position / channelsPerTap}, {position % channelsPerTap}.");
            }
        }
    }

    [Fact]
    public void Division_by_3_is_exact_over_every_tap_a_kernel_reads()
    {
        // The 9 taps, and past them what a prefetch one step past K reads: at most 2 word blocks (tensor cores) or 4 quads
        // (float32) of at least 8 and 4 channels a tap, so at most 4 taps past the last; 32 is the bound the kernels rely on.
        for (int n = 0; n < 32; n++)
            Assert.True(TapMajorK.DivideBy3(n) == n / 3, $"{n} / 3: {TapMajorK.DivideBy3(n)}, not {n / 3}");
    }
}
