using RepVgg.Gpu.Kernels;

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
}
