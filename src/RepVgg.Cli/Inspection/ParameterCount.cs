using RepVgg.Manifest;

namespace RepVgg.Cli.Inspection;

/// <summary>
/// Parameters as PyTorch counts them, <c>sum(p.numel() for p in model.parameters())</c>: conv kernels,
/// BatchNorm's weight and bias, conv and linear biases. BatchNorm's running mean and variance are
/// buffers, not parameters, and are not counted; nor are RepVGGplus's auxiliary classifiers, which inference drops.
/// A squeeze-and-excitation's two 1x1 convs with bias count in both forms.
/// </summary>
internal static class ParameterCount
{
    /// <summary>The network as the checkpoint holds it: each block's branches (3x3 and 1x1 conv + BN, identity BN) or its fused conv.</summary>
    public static long Checkpoint(ModelManifest manifest) =>
        manifest.Layers.Sum(layer => layer.Branches.Sum(branch => Branch(layer, branch)) + Squeeze(layer)) + Head(manifest.Head);

    /// <summary>The fused network: one conv3x3 with bias per block, then the classifier.</summary>
    public static long Fused(ModelManifest manifest) =>
        manifest.Layers.Sum(layer => Kernel(layer, 3) + layer.OutChannels + Squeeze(layer)) + Head(manifest.Head);

    /// <summary>Down (Internal x Out, with bias) and up (Out x Internal, with bias).</summary>
    private static long Squeeze(ManifestLayer layer) => layer.Squeeze is { } squeeze
        ? 2L * layer.OutChannels * squeeze.InternalChannels + squeeze.InternalChannels + layer.OutChannels
        : 0;

    private static long Branch(ManifestLayer layer, string branch) => branch switch
    {
        "3x3" => Kernel(layer, 3) + 2L * layer.OutChannels,   // conv, then BN's weight and bias
        "1x1" => Kernel(layer, 1) + 2L * layer.OutChannels,
        "identity" => 2L * layer.OutChannels,                // a BN alone
        "reparam" => Kernel(layer, 3) + layer.OutChannels,    // conv with bias
        _ => throw new ArgumentException($"Unknown branch '{branch}' in layer {layer.Name}.", nameof(branch)),
    };

    /// <summary>(Out, In / Groups, K, K).</summary>
    private static long Kernel(ManifestLayer layer, int size) => (long)layer.OutChannels * (layer.InChannels / layer.Groups) * size * size;

    private static long Head(ManifestHead head) => (long)head.Features * head.Classes + head.Classes;
}
