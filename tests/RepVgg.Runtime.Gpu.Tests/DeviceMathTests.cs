using RepVgg.Gpu.Kernels;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>The kernels' own e^x (ILGPU has no PTX exp without libdevice) against the float64 one.</summary>
public class DeviceMathTests
{
    [Fact]
    public void Exp_is_within_two_units_in_the_last_place_over_float32s_range()
    {
        var random = new Random(26);
        var xs = Enumerable.Range(0, 200_000).Select(_ => (float)(random.NextDouble() * 176 - 87.3))
            .Concat([0f, -0f, 1f, -1f, 0.34657359f, -0.34657359f, -87.29f, 88.7f, 88.39f, 10.5f, -10.5f]);
        foreach (float x in xs)
        {
            double expected = Math.Exp(x);
            float found = DeviceMath.Exp(x);
            double ulp = MathF.BitIncrement((float)expected) - (float)expected;
            Assert.True(Math.Abs(found - expected) <= 2 * ulp, $"e^{x:R}: {found:R}, expected {expected:R}.");
        }
    }

    [Fact]
    public void Exp_saturates_outside_float32s_range()
    {
        Assert.Equal(0f, DeviceMath.Exp(-88f));
        Assert.Equal(0f, DeviceMath.Exp(float.NegativeInfinity));
        Assert.Equal(float.PositiveInfinity, DeviceMath.Exp(89f));
        Assert.Equal(float.PositiveInfinity, DeviceMath.Exp(float.PositiveInfinity));
    }
}
