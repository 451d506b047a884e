namespace RepVgg.Compiler.Architecture;

/// <summary>BatchNorm in eval mode: y = (x - mean) / sqrt(var + eps) * gamma + beta, per channel.</summary>
/// <param name="Gamma">Scale (C).</param>
/// <param name="Beta">Shift (C).</param>
/// <param name="RunningMean">Running mean (C).</param>
/// <param name="RunningVar">Running variance (C); positive.</param>
/// <param name="Eps">Added to the variance; 1e-5 in RepVGG.</param>
public sealed record BatchNorm(double[] Gamma, double[] Beta, double[] RunningMean, double[] RunningVar, double Eps)
{
    /// <summary>The eps every RepVGG implementation uses (PyTorch's default).</summary>
    public const double RepVggEps = 1e-5;

    public int Channels => Gamma.Length;
}

/// <summary>A convolution without bias followed by a BatchNorm: the 3x3 or 1x1 branch of a training-time block.</summary>
/// <param name="Weight">(Out, In / Groups, K, K), PyTorch layout.</param>
/// <param name="KernelSize">3 or 1; padding is K / 2.</param>
/// <param name="Norm">The BatchNorm after the convolution.</param>
public sealed record ConvBatchNorm(double[] Weight, int KernelSize, BatchNorm Norm);

/// <summary>A conv3x3 with bias (padding 1): what a block is after fusion, or as a deploy-time checkpoint stores it.</summary>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Groups">Convolution groups.</param>
/// <param name="Weight">(Out, In / Groups, 3, 3), PyTorch layout.</param>
/// <param name="Bias">(Out).</param>
public sealed record FusedConv(int InChannels, int OutChannels, int Groups, double[] Weight, double[] Bias);

/// <summary>
/// A squeeze-and-excitation unit (official <c>se_block.SEBlock</c>): the channel means of the block's output, a 1x1
/// conv with bias down to <paramref name="InternalChannels"/>, ReLU, a 1x1 conv with bias back up, sigmoid, and the
/// output scaled per channel by the result.
/// </summary>
/// <param name="Name">Key prefix in the checkpoint: <c>stage1.0.se</c>, <c>stage1.blocks.0.post_se</c>, <c>stages.0.0.attn</c>.</param>
/// <param name="Placement">Before the block's ReLU (RepVGG-D2se) or after it (RepVGGplus-L2pse).</param>
/// <param name="Channels">The block's output channels.</param>
/// <param name="InternalChannels">The reduced width.</param>
/// <param name="DownWeight">(InternalChannels, Channels), row-major.</param>
/// <param name="DownBias">(InternalChannels).</param>
/// <param name="UpWeight">(Channels, InternalChannels), row-major.</param>
/// <param name="UpBias">(Channels).</param>
public sealed record SqueezeExcitation(
    string Name, SqueezePlacement Placement, int Channels, int InternalChannels,
    double[] DownWeight, double[] DownBias, double[] UpWeight, double[] UpBias)
{
    /// <summary>What it computes, without its weights.</summary>
    public SqueezeShape Shape => new(Placement, InternalChannels);
}

/// <summary>
/// One RepVGG block as the checkpoint holds it: either training-time branches (a 3x3 conv+BN,
/// optionally a 1x1 conv+BN and an identity BN), or an already fused conv (deploy-time).
/// The output is ReLU of the sum of the branches, scaled by a squeeze-and-excitation before or after the ReLU in the
/// SE networks.
/// </summary>
/// <param name="Name">Key prefix in the checkpoint: <c>stage1.0</c>, <c>stages.0.0</c>, <c>stem</c>.</param>
/// <param name="Stage">0 for the stem, 1.. for the stages.</param>
/// <param name="Index">Block index within its stage.</param>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Stride">2 for the stem and the first block of each stage, else 1.</param>
/// <param name="Groups">Convolution groups, shared by the 3x3 and 1x1 branches.</param>
/// <param name="Dense">The 3x3 conv + BN branch (training-time).</param>
/// <param name="Pointwise">The 1x1 conv + BN branch (training-time), if present.</param>
/// <param name="Identity">The identity BN branch (training-time, stride 1 and In == Out), if present.</param>
/// <param name="Deployed">The fused conv of a deploy-time checkpoint; the branches are then null.</param>
/// <param name="Squeeze">The block's squeeze-and-excitation, if it has one; deploy-time blocks keep theirs.</param>
public sealed record RepVggBlock(
    string Name, int Stage, int Index, int InChannels, int OutChannels, int Stride, int Groups,
    ConvBatchNorm? Dense, ConvBatchNorm? Pointwise, BatchNorm? Identity, FusedConv? Deployed, SqueezeExcitation? Squeeze = null)
{
    /// <summary>Where the block sits and what it computes, without its weights.</summary>
    public BlockShape Shape => new(Stage, Index, InChannels, OutChannels, Stride, Groups, Squeeze?.Shape);

    /// <summary>The branches this block holds, as the manifest names them: <c>3x3</c>, <c>1x1</c>, <c>identity</c>, or <c>reparam</c>.</summary>
    public IReadOnlyList<string> BranchNames =>
        Deployed is not null
            ? ["reparam"]
            : [.. new[] { Dense is null ? null : "3x3", Pointwise is null ? null : "1x1", Identity is null ? null : "identity" }.OfType<string>()];
}

/// <summary>The linear classifier after global average pooling.</summary>
/// <param name="Name">Key prefix in the checkpoint: <c>linear</c> or <c>head.fc</c>.</param>
/// <param name="Weight">(Classes, Features), row-major.</param>
/// <param name="Bias">(Classes).</param>
public sealed record LinearClassifier(string Name, int Features, int Classes, double[] Weight, double[] Bias);

/// <summary>A RepVGG network as read from a checkpoint, before fusion: blocks in order, then the head.</summary>
/// <param name="Layout">The naming scheme its tensors use.</param>
/// <param name="Blocks">The stem, then every stage's blocks.</param>
/// <param name="Head">The classifier.</param>
public sealed record TrainedNetwork(KeyLayout Layout, IReadOnlyList<RepVggBlock> Blocks, LinearClassifier Head)
{
    /// <summary>Channels of the input image.</summary>
    public int InputChannels => Blocks[0].InChannels;

    /// <summary>True when every block is already fused (a deploy-time checkpoint).</summary>
    public bool IsDeployed => Blocks.All(b => b.Deployed is not null);
}
