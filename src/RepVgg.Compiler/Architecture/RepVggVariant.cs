namespace RepVgg.Compiler.Architecture;

/// <summary>The shape of one block: where it sits and what it computes.</summary>
/// <param name="Stage">0 for the stem, 1.. for the stages.</param>
/// <param name="Index">Index within the stage.</param>
/// <param name="In">Input channels.</param>
/// <param name="Out">Output channels.</param>
/// <param name="Stride">1 or 2.</param>
/// <param name="Groups">Convolution groups.</param>
/// <param name="Squeeze">Its squeeze-and-excitation, if any.</param>
public readonly record struct BlockShape(int Stage, int Index, int In, int Out, int Stride, int Groups, SqueezeShape? Squeeze = null);

/// <summary>What a squeeze-and-excitation computes: where it sits and its reduced width.</summary>
/// <param name="Placement">Before or after the block's ReLU.</param>
/// <param name="InternalChannels">The reduced width.</param>
public readonly record struct SqueezeShape(SqueezePlacement Placement, int InternalChannels);

/// <summary>
/// A RepVGG architecture by its numbers: stem width, stage depths and widths, and which blocks
/// are grouped. The published variants (paper, Table 2) are listed here; the weights step uses
/// them to name what it inferred, and the synthetic checkpoints to build test and sample models.
/// </summary>
/// <param name="Name">e.g. <c>RepVGG-B1g4</c>.</param>
/// <param name="StemWidth">Output channels of the stem: min(64, 64 a).</param>
/// <param name="Depths">Blocks per stage 1..4.</param>
/// <param name="Widths">Output channels per stage 1..4: 64a, 128a, 256a, 512b.</param>
/// <param name="GroupedLayerGroups">Groups of the grouped layers, or 1 for none. Layers count from 1 at
/// stage 1 block 0 (the stem is not counted); the grouped ones are 2, 4, ..., 26.</param>
/// <param name="Classes">Classifier outputs.</param>
/// <param name="Squeeze">
/// Where every block's squeeze-and-excitation sits and by how much it divides the block's channels, or null for none:
/// the official repository's RepVGG-D2se (before the ReLU, 16) and RepVGGplus-L2pse (after it, 4).
/// </param>
public sealed record RepVggVariant(string Name, int StemWidth, int[] Depths, int[] Widths, int GroupedLayerGroups, int Classes = 1000,
    (SqueezePlacement Placement, int Reduction)? Squeeze = null)
{
    public static readonly RepVggVariant A0 = Make("RepVGG-A0", [2, 4, 14, 1], 0.75, 2.5);
    public static readonly RepVggVariant A1 = Make("RepVGG-A1", [2, 4, 14, 1], 1, 2.5);
    public static readonly RepVggVariant A2 = Make("RepVGG-A2", [2, 4, 14, 1], 1.5, 2.75);
    public static readonly RepVggVariant B0 = Make("RepVGG-B0", [4, 6, 16, 1], 1, 2.5);
    public static readonly RepVggVariant B1 = Make("RepVGG-B1", [4, 6, 16, 1], 2, 4);
    public static readonly RepVggVariant B1g2 = B1.Grouped(2);
    public static readonly RepVggVariant B1g4 = B1.Grouped(4);
    public static readonly RepVggVariant B2 = Make("RepVGG-B2", [4, 6, 16, 1], 2.5, 5);
    public static readonly RepVggVariant B2g4 = B2.Grouped(4);
    public static readonly RepVggVariant B3 = Make("RepVGG-B3", [4, 6, 16, 1], 3, 5);
    public static readonly RepVggVariant B3g4 = B3.Grouped(4);
    public static readonly RepVggVariant D2se = Make("RepVGG-D2se", [8, 14, 24, 1], 2.5, 5) with { Squeeze = (SqueezePlacement.BeforeRelu, 16) };
    /// <summary>RepVGGplus-L2pse: RepVGG-D2se's shape with the squeeze-and-excitation after the ReLU, stage 3 split in two halves.</summary>
    public static readonly RepVggVariant L2pse = Make("RepVGGplus-L2pse", [8, 14, 24, 1], 2.5, 5) with { Squeeze = (SqueezePlacement.AfterRelu, 4) };

    /// <summary>Every published variant.</summary>
    public static IReadOnlyList<RepVggVariant> Published { get; } = [A0, A1, A2, B0, B1, B1g2, B1g4, B2, B2g4, B3, B3g4, D2se, L2pse];

    /// <summary>
    /// The published variant with this name (case-insensitive, with or without the <c>RepVGG-</c> or <c>RepVGGplus-</c>
    /// prefix), or null.
    /// </summary>
    public static RepVggVariant? Find(string name) =>
        Published.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase)
            || string.Equals(v.Name, "RepVGG-" + name, StringComparison.OrdinalIgnoreCase)
            || string.Equals(v.Name, "RepVGGplus-" + name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The key layout the official code names this variant's tensors in: RepVGGplus's for L2pse, with its stage 3 split.</summary>
    public KeyLayout OfficialLayout => Name.StartsWith("RepVGGplus-", StringComparison.Ordinal)
        ? KeyLayout.RepVggPlus(new Dictionary<int, int> { [3] = Depths[2] / 2 })
        : KeyLayout.Official;

    /// <summary>The blocks, stem first.</summary>
    public IEnumerable<BlockShape> Blocks()
    {
        yield return new BlockShape(0, 0, 3, StemWidth, 2, 1, SqueezeOf(StemWidth));
        int channels = StemWidth, layer = 1;
        for (int s = 0; s < Depths.Length; s++)
        {
            for (int i = 0; i < Depths[s]; i++, layer++)
            {
                int groups = GroupedLayerGroups > 1 && layer % 2 == 0 ? GroupedLayerGroups : 1;
                yield return new BlockShape(s + 1, i, channels, Widths[s], i == 0 ? 2 : 1, groups, SqueezeOf(Widths[s]));
                channels = Widths[s];
            }
        }
    }

    /// <summary>The published variant whose blocks match <paramref name="network"/>'s, or null for a custom network.</summary>
    public static RepVggVariant? Match(TrainedNetwork network)
    {
        List<BlockShape> blocks = network.Blocks.Select(b => b.Shape).ToList();
        return Published.FirstOrDefault(v => v.Blocks().SequenceEqual(blocks));
    }

    private SqueezeShape? SqueezeOf(int channels) =>
        Squeeze is var (placement, reduction) ? new SqueezeShape(placement, channels / reduction) : null;

    private RepVggVariant Grouped(int groups) => this with { Name = $"{Name}g{groups}", GroupedLayerGroups = groups };

    private static RepVggVariant Make(string name, int[] depths, double a, double b) =>
        new(name, Math.Min(64, (int)(64 * a)), depths, [(int)(64 * a), (int)(128 * a), (int)(256 * a), (int)(512 * b)], 1);
}
