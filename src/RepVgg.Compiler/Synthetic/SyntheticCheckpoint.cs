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
        }
        Add($"{names.Head}.weight", network.Head.Weight, network.Head.Classes, network.Head.Features);
        Add($"{names.Head}.bias", network.Head.Bias, network.Head.Classes);
        return tensors;
    }

}
