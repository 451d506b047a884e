using System.Text.RegularExpressions;

namespace RepVgg.Compiler.Architecture;

/// <summary>
/// A naming scheme for RepVGG tensors. The official repository, its RepVGGplus and timm name the same tensors
/// differently; within a branch all use the same suffixes (<c>conv.weight</c>, <c>bn.running_var</c>,
/// <c>weight</c>/<c>bias</c>/<c>running_mean</c>/<c>running_var</c> for an identity BatchNorm).
/// </summary>
public sealed partial class KeyLayout
{
    /// <summary>
    /// The official repository's names (<c>repvgg.py</c>): <c>stage0</c>, <c>stage1.0.rbr_dense.conv.weight</c>,
    /// <c>rbr_1x1</c>, <c>rbr_identity</c>, <c>rbr_reparam</c>, <c>linear</c>; RepVGG-D2se's squeeze-and-excitation
    /// before the ReLU as <c>se.down</c>/<c>se.up</c>.
    /// </summary>
    public static readonly KeyLayout Official = new(
        "official", stem: "stage0", stagePattern: OfficialStage(), blockPrefix: (s, i) => $"stage{s}.{i}",
        dense: "rbr_dense", pointwise: "rbr_1x1", identity: "rbr_identity", reparam: "rbr_reparam", head: "linear",
        squeezes: [new("se", SqueezePlacement.BeforeRelu, "down", "up"), new("post_se", SqueezePlacement.AfterRelu, "down", "up")]);

    /// <summary>
    /// timm's names: <c>stem</c>, <c>stages.0.0.conv_kxk.conv.weight</c>, <c>conv_1x1</c>, <c>identity</c>,
    /// <c>reparam_conv</c>, <c>head.fc</c>; squeeze-and-excitation before the ReLU as <c>attn.fc1</c>/<c>attn.fc2</c>.
    /// timm counts stages from 0.
    /// </summary>
    public static readonly KeyLayout Timm = new(
        "timm", stem: "stem", stagePattern: TimmStage(), blockPrefix: (s, i) => $"stages.{s - 1}.{i}",
        dense: "conv_kxk", pointwise: "conv_1x1", identity: "identity", reparam: "reparam_conv", head: "head.fc",
        squeezes: [new("attn", SqueezePlacement.BeforeRelu, "fc1", "fc2")]);

    /// <summary>The name <see cref="RepVggPlus"/> layouts record in a manifest.</summary>
    public const string RepVggPlusName = "repvggplus";

    private readonly Regex _stagePattern;
    private readonly Func<int, int, string> _blockPrefix;
    private readonly IReadOnlyDictionary<int, int> _firstHalves;

    private KeyLayout(string name, string stem, Regex stagePattern, Func<int, int, string> blockPrefix,
        string dense, string pointwise, string identity, string reparam, string head, IReadOnlyList<SqueezeModule> squeezes,
        IReadOnlyDictionary<int, int>? firstHalves = null)
    {
        Name = name;
        Stem = stem;
        _stagePattern = stagePattern;
        _blockPrefix = blockPrefix;
        Dense = dense;
        Pointwise = pointwise;
        Identity = identity;
        Reparam = reparam;
        Head = head;
        Squeezes = squeezes;
        _firstHalves = firstHalves ?? new Dictionary<int, int>();
    }

    /// <summary>
    /// The official RepVGGplus names (<c>repvggplus.py</c>): the stem is the block <c>stage0</c>, every stage holds its
    /// blocks as <c>stage1.blocks.0</c>, and a stage may be split in two halves, <c>stage3_first.blocks.*</c> then
    /// <c>stage3_second.blocks.*</c>, as RepVGGplus-L2pse splits stage 3 to train an auxiliary classifier between them;
    /// squeeze-and-excitation after the ReLU as <c>post_se.down</c>/<c>post_se.up</c>. Branches as the official layout.
    /// </summary>
    /// <param name="firstHalves">For each split stage, the blocks of its first half.</param>
    public static KeyLayout RepVggPlus(IReadOnlyDictionary<int, int> firstHalves) => new(
        RepVggPlusName, stem: "stage0", stagePattern: PlusStage(),
        blockPrefix: (s, i) => firstHalves.TryGetValue(s, out int first)
            ? i < first ? $"stage{s}_first.blocks.{i}" : $"stage{s}_second.blocks.{i - first}"
            : $"stage{s}.blocks.{i}",
        dense: "rbr_dense", pointwise: "rbr_1x1", identity: "rbr_identity", reparam: "rbr_reparam", head: "linear",
        squeezes: Official.Squeezes, firstHalves: firstHalves);

    /// <summary><c>official</c>, <c>repvggplus</c> or <c>timm</c>, as the manifest records it.</summary>
    public string Name { get; }

    /// <summary>Prefix of the stem block.</summary>
    public string Stem { get; }

    /// <summary>Module name of the 3x3 conv + BN branch.</summary>
    public string Dense { get; }

    /// <summary>Module name of the 1x1 conv + BN branch.</summary>
    public string Pointwise { get; }

    /// <summary>Module name of the identity BatchNorm.</summary>
    public string Identity { get; }

    /// <summary>Module name of a deploy-time block's fused conv.</summary>
    public string Reparam { get; }

    /// <summary>Prefix of the linear classifier.</summary>
    public string Head { get; }

    /// <summary>The squeeze-and-excitation modules a block may hold under these names, each with its placement.</summary>
    public IReadOnlyList<SqueezeModule> Squeezes { get; }

    /// <summary>The module this layout names a squeeze-and-excitation at <paramref name="placement"/> with, in block <paramref name="block"/>.</summary>
    /// <exception cref="ArgumentException">The layout has none there: timm's names have no module after the ReLU.</exception>
    public SqueezeModule SqueezeModuleFor(SqueezePlacement placement, string block) =>
        Squeezes.FirstOrDefault(module => module.Placement == placement) ?? throw new ArgumentException(
            $"Block '{block}' has a squeeze-and-excitation {(placement == SqueezePlacement.BeforeRelu ? "before" : "after")} its ReLU, which {Name} names have no module for; write it with the checkpoint's own names.",
            nameof(placement));

    /// <summary>
    /// Key prefix of a block: the stem for stage 0, else <c>stage{s}.{i}</c>, <c>stage{s}.blocks.{i}</c> (RepVGGplus, whose
    /// split stages count their second half on from the first) or <c>stages.{s-1}.{i}</c>.
    /// </summary>
    public string BlockPrefix(int stage, int index) => stage == 0 ? Stem : _blockPrefix(stage, index);

    /// <summary>Key of a conv + BN branch's kernel: <c>{block}.{branch}.conv.weight</c>.</summary>
    public static string ConvWeight(string block, string branch) => $"{block}.{branch}.conv.weight";

    /// <summary>Key prefix of a conv + BN branch's BatchNorm: <c>{block}.{branch}.bn</c>.</summary>
    public static string ConvNorm(string block, string branch) => $"{block}.{branch}.bn";

    /// <summary>Key of a deploy-time block's fused kernel: <c>{block}.{reparam}.weight</c>.</summary>
    public string ReparamWeight(string block) => $"{block}.{Reparam}.weight";

    /// <summary>Key of a deploy-time block's fused bias: <c>{block}.{reparam}.bias</c>.</summary>
    public string ReparamBias(string block) => $"{block}.{Reparam}.bias";

    /// <summary>
    /// The layout a checkpoint's keys use, or null when none matches: RepVGGplus when a key names a stage's
    /// <c>blocks</c>, else the layout whose stem the keys name.
    /// </summary>
    public static KeyLayout? Detect(IEnumerable<string> keys)
    {
        string[] all = keys as string[] ?? keys.ToArray();
        if (all.Any(key => PlusStage().IsMatch(key)))
        {
            // Each split stage's first half holds as many blocks as its highest index names.
            var firstHalves = new Dictionary<int, int>();
            foreach (string key in all)
            {
                Match match = PlusStage().Match(key);
                if (match.Success && match.Groups[2].Value == "first"
                    && int.TryParse(match.Groups[1].ValueSpan, out int stage) && int.TryParse(match.Groups[3].ValueSpan, out int index) && index < int.MaxValue)
                    firstHalves[stage] = Math.Max(firstHalves.GetValueOrDefault(stage), index + 1);
            }
            return RepVggPlus(firstHalves);
        }
        foreach (string key in all)
        {
            if (key.StartsWith(Official.Stem + ".", StringComparison.Ordinal)) return Official;
            if (key.StartsWith(Timm.Stem + ".", StringComparison.Ordinal)) return Timm;
        }
        return null;
    }

    /// <summary>For a key inside a stage block, its stage (1-based) and block index.</summary>
    public bool TryParseStageBlock(string key, out int stage, out int index)
    {
        Match match = _stagePattern.Match(key);
        stage = index = -1;
        // A number too large for an int is no RepVGG block: the key then counts as unused.
        if (!match.Success || !int.TryParse(match.Groups[1].ValueSpan, out stage) || !int.TryParse(match.Groups[^1].ValueSpan, out index)
            || stage == int.MaxValue || index == int.MaxValue)
            return false;
        stage += this == Timm ? 1 : 0;
        if (match.Groups.Count > 3)
        {
            // RepVGGplus: a split stage's second half counts on from its first; a half without its other is no block.
            bool split = _firstHalves.TryGetValue(stage, out int first);
            string half = match.Groups[2].Value;
            if (split != (half.Length > 0) || half == "second" && (long)index + first >= int.MaxValue)
                return false;
            index += half == "second" ? first : 0;
        }
        return stage >= 1;
    }

    /// <summary>
    /// RepVGGplus's auxiliary classifiers (<c>stage1_aux</c>, <c>stage3_first_aux</c>): heads that only training uses,
    /// which inference drops. Null for a key outside them.
    /// </summary>
    public static string? AuxiliaryClassifier(string key) => AuxiliaryHead().Match(key) is { Success: true } match ? match.Groups[1].Value : null;

    public override string ToString() => Name;

    [GeneratedRegex(@"^stage(\d+)\.(\d+)\.")]
    private static partial Regex OfficialStage();

    [GeneratedRegex(@"^stages\.(\d+)\.(\d+)\.")]
    private static partial Regex TimmStage();

    [GeneratedRegex(@"^stage(\d+)(?:_(first|second))?\.blocks\.(\d+)\.")]
    private static partial Regex PlusStage();

    [GeneratedRegex(@"^(stage\d+(?:_first|_second)?_aux)\.")]
    private static partial Regex AuxiliaryHead();
}

/// <summary>A squeeze-and-excitation module's name in a block, its placement, and the names of its two 1x1 convs.</summary>
/// <param name="Module">The module's name in the block: <c>se</c>, <c>post_se</c>, <c>attn</c>.</param>
/// <param name="Placement">Before or after the block's ReLU.</param>
/// <param name="Down">The conv that reduces the channels: <c>down</c> or <c>fc1</c>.</param>
/// <param name="Up">The conv that restores them: <c>up</c> or <c>fc2</c>.</param>
public sealed record SqueezeModule(string Module, SqueezePlacement Placement, string Down, string Up);
