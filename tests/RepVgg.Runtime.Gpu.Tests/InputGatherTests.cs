using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.Weights;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>The gather's divisions by multiply-high against C#'s integer division, over every k a layer can have and beyond.</summary>
public class InputGatherTests
{
    [Fact]
    public void Division_by_3_is_exact_over_the_non_negative_ints()
    {
        var random = new Random(9);
        IEnumerable<int> values = Enumerable.Range(0, 1 << 20)
            .Concat(Enumerable.Range(0, 1 << 20).Select(_ => random.Next()))
            .Concat(Enumerable.Range(0, 64).Select(i => int.MaxValue - i));
        foreach (int n in values)
            Assert.True(InputGather.DivideBy3(n) == n / 3, $"{n} / 3: {InputGather.DivideBy3(n)}, not {n / 3}");
    }

    [Fact]
    public void Division_by_the_channels_per_tap_is_exact_over_every_k_of_a_layer_and_a_step_past_it()
    {
        // Every padded channel count up to 4096 per group (RepVGG's largest is 2560), every k of K = 9 x that, and the
        // 16 k of a step beyond, as the float32 kernel's prefetch reads them; then the largest divisor the bound allows.
        foreach (int divisor in Enumerable.Range(1, 1024).Select(i => i * TapQuadWeightLayout.QuadK).Append(20_000))
        {
            uint reciprocal = InputGather.Reciprocal(divisor);
            for (int k = 0; k < TapQuadWeightLayout.Taps * divisor + 16; k++)
                if (InputGather.Divide(k, reciprocal) != k / divisor)
                    Assert.Fail($"{k} / {divisor}: {InputGather.Divide(k, reciprocal)}, not {k / divisor}");
        }
    }
}
