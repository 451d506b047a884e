using RepVgg.Compiler.Architecture;

namespace RepVgg.Compiler.Tests;

public class VariantTests
{
    /// <summary>Parameters of the deployed networks, in millions, from the RepVGG paper (Table 4), which truncates to two decimals.</summary>
    [Theory]
    [InlineData("RepVGG-A0", 8.30)]
    [InlineData("RepVGG-A1", 12.78)]
    [InlineData("RepVGG-A2", 25.49)]
    [InlineData("RepVGG-B0", 14.33)]
    [InlineData("RepVGG-B1", 51.82)]
    [InlineData("RepVGG-B1g2", 41.36)]
    [InlineData("RepVGG-B1g4", 36.12)]
    [InlineData("RepVGG-B2", 80.31)]
    [InlineData("RepVGG-B2g4", 55.77)]
    [InlineData("RepVGG-B3", 110.96)]
    [InlineData("RepVGG-B3g4", 75.62)]
    public void Published_variants_have_the_papers_parameter_counts(string name, double millions)
    {
        RepVggVariant variant = RepVggVariant.Find(name)!;

        long parameters = variant.Blocks().Sum(b => (long)b.Out * (b.In / b.Groups) * 9 + b.Out)
            + (long)variant.Classes * variant.Widths[^1] + variant.Classes;

        Assert.Equal(millions, Math.Floor(parameters / 1e4) / 100, 6);
    }

    [Theory]
    [InlineData("B1g4")]
    [InlineData("RepVGG-B1g4")]
    [InlineData("repvgg-b1g4")]
    public void Find_accepts_names_with_and_without_prefix(string name) =>
        Assert.Same(RepVggVariant.B1g4, RepVggVariant.Find(name));

    [Fact]
    public void Grouped_layers_are_the_even_layers_counting_from_stage_1()
    {
        var grouped = RepVggVariant.B1g4.Blocks().Where(b => b.Groups == 4).Select(b => $"{b.Stage}.{b.Index}");

        Assert.Equal(["1.1", "1.3", "2.1", "2.3", "2.5", "3.1", "3.3", "3.5", "3.7", "3.9", "3.11", "3.13", "3.15"], grouped);
    }

    public static IEnumerable<object[]> PublishedNames => RepVggVariant.Published.Select(v => new object[] { v.Name });

    [Theory]
    [MemberData(nameof(PublishedNames))]
    public void Every_published_variant_is_recognised_from_its_block_shapes(string name)
    {
        RepVggVariant variant = RepVggVariant.Find(name)!;

        Assert.Same(variant, RepVggVariant.Match(Skeleton(variant.Blocks())));
    }

    [Fact]
    public void A_squeeze_and_excitation_network_with_its_units_moved_past_the_ReLU_is_custom()
    {
        List<BlockShape> blocks = RepVggVariant.D2se.Blocks().ToList();
        blocks[5] = blocks[5] with { Squeeze = blocks[5].Squeeze!.Value with { Placement = SqueezePlacement.AfterRelu } };

        Assert.Null(RepVggVariant.Match(Skeleton(blocks)));
        Assert.Null(RepVggVariant.Match(Skeleton(RepVggVariant.D2se.Blocks().Select(b => b with { Squeeze = null }))));
    }

    [Fact]
    public void A_variant_with_one_block_changed_is_custom()
    {
        List<BlockShape> blocks = RepVggVariant.B1g4.Blocks().ToList();
        blocks[3] = blocks[3] with { Groups = 2 };

        Assert.Null(RepVggVariant.Match(Skeleton(blocks)));
    }

    /// <summary>A network of these shapes without weights: all <see cref="RepVggVariant.Match"/> looks at.</summary>
    private static TrainedNetwork Skeleton(IEnumerable<BlockShape> shapes)
    {
        var blocks = shapes.Select(s => new RepVggBlock($"{s.Stage}.{s.Index}", s.Stage, s.Index, s.In, s.Out, s.Stride, s.Groups, null, null, null, null,
            s.Squeeze is { } squeeze ? new SqueezeExcitation($"{s.Stage}.{s.Index}.se", squeeze.Placement, s.Out, squeeze.InternalChannels, [], [], [], []) : null)).ToList();
        return new TrainedNetwork(KeyLayout.Official, blocks, new LinearClassifier("linear", blocks[^1].OutChannels, 1000, [], []));
    }
}
