using System.Text.RegularExpressions;

namespace RepVgg.Compiler.Architecture;

/// <summary>
/// A naming scheme for RepVGG tensors. The official repository and timm name the same tensors
/// differently; within a branch both use the same suffixes (<c>conv.weight</c>, <c>bn.running_var</c>,
/// <c>weight</c>/<c>bias</c>/<c>running_mean</c>/<c>running_var</c> for an identity BatchNorm).
/// </summary>
public sealed partial class KeyLayout
{
    /// <summary>The official repository's names: <c>stage0</c>, <c>stage1.0.rbr_dense.conv.weight</c>, <c>rbr_1x1</c>, <c>rbr_identity</c>, <c>rbr_reparam</c>, <c>linear</c>.</summary>
    public static readonly KeyLayout Official = new(
        "official", stem: "stage0", stagePattern: OfficialStage(), stagePrefix: s => $"stage{s}",
        dense: "rbr_dense", pointwise: "rbr_1x1", identity: "rbr_identity", reparam: "rbr_reparam", head: "linear");

    /// <summary>timm's names: <c>stem</c>, <c>stages.0.0.conv_kxk.conv.weight</c>, <c>conv_1x1</c>, <c>identity</c>, <c>reparam_conv</c>, <c>head.fc</c>. timm counts stages from 0.</summary>
    public static readonly KeyLayout Timm = new(
        "timm", stem: "stem", stagePattern: TimmStage(), stagePrefix: s => $"stages.{s - 1}",
        dense: "conv_kxk", pointwise: "conv_1x1", identity: "identity", reparam: "reparam_conv", head: "head.fc");

    private readonly Regex _stagePattern;
    private readonly Func<int, string> _stagePrefix;

    private KeyLayout(string name, string stem, Regex stagePattern, Func<int, string> stagePrefix,
        string dense, string pointwise, string identity, string reparam, string head)
    {
        Name = name;
        Stem = stem;
        _stagePattern = stagePattern;
        _stagePrefix = stagePrefix;
        Dense = dense;
        Pointwise = pointwise;
        Identity = identity;
        Reparam = reparam;
        Head = head;
    }

    /// <summary><c>official</c> or <c>timm</c>, as the manifest records it.</summary>
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

    /// <summary>Key prefix of a block: the stem for stage 0, else <c>stage{s}.{i}</c> or <c>stages.{s-1}.{i}</c>.</summary>
    public string BlockPrefix(int stage, int index) => stage == 0 ? Stem : $"{_stagePrefix(stage)}.{index}";

    /// <summary>Key of a conv + BN branch's kernel: <c>{block}.{branch}.conv.weight</c>.</summary>
    public static string ConvWeight(string block, string branch) => $"{block}.{branch}.conv.weight";

    /// <summary>Key prefix of a conv + BN branch's BatchNorm: <c>{block}.{branch}.bn</c>.</summary>
    public static string ConvNorm(string block, string branch) => $"{block}.{branch}.bn";

    /// <summary>Key of a deploy-time block's fused kernel: <c>{block}.{reparam}.weight</c>.</summary>
    public string ReparamWeight(string block) => $"{block}.{Reparam}.weight";

    /// <summary>Key of a deploy-time block's fused bias: <c>{block}.{reparam}.bias</c>.</summary>
    public string ReparamBias(string block) => $"{block}.{Reparam}.bias";

    /// <summary>The layout whose stem a checkpoint's keys use, or null when none matches.</summary>
    public static KeyLayout? Detect(IEnumerable<string> keys)
    {
        foreach (string key in keys)
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
        if (!match.Success || !int.TryParse(match.Groups[1].ValueSpan, out stage) || !int.TryParse(match.Groups[2].ValueSpan, out index)
            || stage == int.MaxValue || index == int.MaxValue)
            return false;
        stage += this == Timm ? 1 : 0;
        return stage >= 1;
    }

    public override string ToString() => Name;

    [GeneratedRegex(@"^stage(\d+)\.(\d+)\.")]
    private static partial Regex OfficialStage();

    [GeneratedRegex(@"^stages\.(\d+)\.(\d+)\.")]
    private static partial Regex TimmStage();
}
