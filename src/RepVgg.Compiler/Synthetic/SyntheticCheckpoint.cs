using RepVgg.Checkpoints;
using RepVgg.Compiler;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Fusion;
using RepVgg.Compiler.Writing;

namespace RepVgg.Compiler.Synthetic;

/// <summary>
/// Writes a network as a checkpoint file, the way PyTorch would save its state_dict: official
/// or timm names, training-time branches or deploy-time fused convs, <c>.pth</c> or
/// <c>.safetensors</c> by the file's extension.
/// </summary>
public static class SyntheticCheckpoint
{
    /// <summary>The seed of the samples' synthetic models.</summary>
    public const ulong DefaultSeed = 2021;

    /// <summary>
    /// Calibration batch of synthetic models: two images at RepVGG's 224 x 224. The resolution
    /// matters: at 64 x 64 the last stages see 2 x 2 maps where zero padding dominates, every layer's
    /// statistics come out slightly off for 224 x 224 inputs, and with frozen statistics those errors
    /// multiply through the depth (logits in the thousands instead of around ten).
    /// </summary>
    public static readonly SyntheticNetwork.Calibration DefaultCalibration = new(Images: 2, Height: 224, Width: 224);

    /// <summary>Makes a synthetic <paramref name="variant"/> (<see cref="SyntheticNetwork"/>) and writes it to <paramref name="path"/>.</summary>
    public static TrainedNetwork Write(string path, RepVggVariant variant, ulong seed, KeyLayout layout, bool deploy)
    {
        TrainedNetwork network = SyntheticNetwork.Create(variant, seed, DefaultCalibration, layout);
        Write(path, network, deploy);
        return network;
    }

    /// <summary>Writes <paramref name="network"/> under its layout's names; <paramref name="deploy"/> fuses every block first.</summary>
    public static void Write(string path, TrainedNetwork network, bool deploy, PthOptions? pthOptions = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        List<TensorToWrite> tensors = ToTensors(network, deploy);
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) SafetensorsWriter.Write(path, tensors);
        else PthWriter.Write(path, tensors, pthOptions ?? new PthOptions());
    }

    /// <summary>
    /// The state_dict of <paramref name="network"/>, in the order PyTorch lists it, as float32
    /// tensors named in <see cref="TrainedNetwork.Layout"/> (so <c>network with { Layout = KeyLayout.Timm }</c>
    /// writes timm's names).
    /// </summary>
    public static List<TensorToWrite> ToTensors(TrainedNetwork network, bool deploy)
    {
        KeyLayout names = network.Layout;
        var tensors = new List<TensorToWrite>();
        void Add(string name, double[] values, params int[] shape) => tensors.Add(TensorToWrite.FromFloats(name, shape, Float32.Round(values)));
        void AddNorm(string prefix, BatchNorm bn)
        {
            Add($"{prefix}.weight", bn.Gamma, bn.Channels);
            Add($"{prefix}.bias", bn.Beta, bn.Channels);
            Add($"{prefix}.running_mean", bn.RunningMean, bn.Channels);
            Add($"{prefix}.running_var", bn.RunningVar, bn.Channels);
            tensors.Add(TensorToWrite.Int64Scalar($"{prefix}.num_batches_tracked", 1000));
        }

        foreach (RepVggBlock checkpointBlock in network.Blocks)
        {
            RepVggBlock block = checkpointBlock with { Name = names.BlockPrefix(checkpointBlock.Stage, checkpointBlock.Index) };
            int perGroup = block.InChannels / block.Groups;
            if (deploy || block.Deployed is not null)
            {
                FusedConv fused = BatchNormFolding.Fuse(block);
                Add(names.ReparamWeight(block.Name), fused.Weight, block.OutChannels, perGroup, 3, 3);
                Add(names.ReparamBias(block.Name), fused.Bias, block.OutChannels);
                if (block.Squeeze is { } deployedSqueeze) tensors.AddRange(SqueezeTensors.Of(names, block.Name, deployedSqueeze));
                continue;
            }
            if (block.Identity is { } identity) AddNorm($"{block.Name}.{names.Identity}", identity);
            Add(KeyLayout.ConvWeight(block.Name, names.Dense), block.Dense!.Weight, block.OutChannels, perGroup, 3, 3);
            AddNorm(KeyLayout.ConvNorm(block.Name, names.Dense), block.Dense.Norm);
            if (block.Pointwise is { } pointwise)
            {
                Add(KeyLayout.ConvWeight(block.Name, names.Pointwise), pointwise.Weight, block.OutChannels, perGroup, 1, 1);
                AddNorm(KeyLayout.ConvNorm(block.Name, names.Pointwise), pointwise.Norm);
            }
            if (block.Squeeze is { } squeeze) tensors.AddRange(SqueezeTensors.Of(names, block.Name, squeeze));
        }
        Add($"{names.Head}.weight", network.Head.Weight, network.Head.Classes, network.Head.Features);
        Add($"{names.Head}.bias", network.Head.Bias, network.Head.Classes);
        if (names.Name == KeyLayout.RepVggPlusName && !deploy && !network.IsDeployed)
            AddAuxiliaryClassifiers(network, tensors);
        return tensors;
    }

    /// <summary>
    /// RepVGGplus's auxiliary classifiers, as its training checkpoints hold them after stage 1, stage 2 and the first
    /// half of stage 3 (<c>stage1_aux.0.conv</c>: conv3x3 stride 2 + BN + ReLU, then pooling and <c>stage1_aux.3</c>, a
    /// linear layer), with deterministic values: no network output depends on them.
    /// </summary>
    private static void AddAuxiliaryClassifiers(TrainedNetwork network, List<TensorToWrite> tensors)
    {
        var random = new DeterministicRandom(DefaultSeed);
        int classes = network.Head.Classes;
        var heads = new List<(string Prefix, RepVggBlock After)>();
        foreach (int stage in new[] { 1, 2 })
            if (network.Blocks.LastOrDefault(b => b.Stage == stage) is { } last) heads.Add(($"stage{stage}_aux", last));
        if (network.Blocks.LastOrDefault(b => b.Name.StartsWith("stage3_first.", StringComparison.Ordinal)) is { } firstHalf)
            heads.Add(("stage3_first_aux", firstHalf));
        foreach ((string prefix, RepVggBlock after) in heads)
        {
            int c = after.OutChannels;
            tensors.Add(TensorToWrite.FromFloats($"{prefix}.0.conv.weight", [c, c, 3, 3], Float32.Round(random.Normals(c * c * 9, Math.Sqrt(2.0 / (c * 9))))));
            foreach ((string part, double value) in new[] { ("weight", 1.0), ("bias", 0.0), ("running_mean", 0.0), ("running_var", 1.0) })
                tensors.Add(TensorToWrite.FromFloats($"{prefix}.0.bn.{part}", [c], Enumerable.Repeat((float)value, c).ToArray()));
            tensors.Add(TensorToWrite.Int64Scalar($"{prefix}.0.bn.num_batches_tracked", 1000));
            tensors.Add(TensorToWrite.FromFloats($"{prefix}.3.weight", [classes, c], Float32.Round(random.Normals(classes * c, 1.0 / Math.Sqrt(c)))));
            tensors.Add(TensorToWrite.FromFloats($"{prefix}.3.bias", [classes], new float[classes]));
        }
    }
}
