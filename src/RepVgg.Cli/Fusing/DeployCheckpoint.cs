using RepVgg.Checkpoints;
using RepVgg.Compiler;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Fusion;
using RepVgg.Compiler.Writing;

namespace RepVgg.Cli.Fusing;

/// <summary>
/// A deploy-time state dict, what the official repository's <c>convert.py</c> saves: each block one
/// conv3x3 with bias (<c>stage1.0.rbr_reparam.weight</c>, timm's <c>stages.0.0.reparam_conv.weight</c>) beside its
/// squeeze-and-excitation, if any, then the classifier; RepVGGplus's auxiliary classifiers are dropped, as
/// <c>switch_repvggplus_to_deploy</c> drops them. The values are the weights step's: each block folded in float64 by
/// <see cref="BatchNormFolding"/>, then rounded to float32, so compiling the written file gives the
/// blob the training-time checkpoint gives.
/// </summary>
internal static class DeployCheckpoint
{
    /// <summary>The tensors, in the order a deploy-mode model's <c>state_dict()</c> lists them.</summary>
    /// <param name="network">The network read from the checkpoint, with values.</param>
    /// <param name="naming">The names to write.</param>
    public static IEnumerable<TensorToWrite> Tensors(TrainedNetwork network, KeyLayout naming)
    {
        foreach (RepVggBlock block in network.Blocks)
        {
            FusedConv fused = BatchNormFolding.Fuse(block);
            string prefix = naming.BlockPrefix(block.Stage, block.Index);
            // A squeeze-and-excitation is carried over as it is, listed first as the official modules declare it first.
            if (block.Squeeze is { } squeeze)
            {
                foreach (TensorToWrite tensor in SqueezeTensors.Of(naming, prefix, squeeze))
                    yield return tensor;
            }
            yield return TensorToWrite.FromFloats(naming.ReparamWeight(prefix),
                [fused.OutChannels, fused.InChannels / fused.Groups, 3, 3], Float32.Round(fused.Weight));
            yield return TensorToWrite.FromFloats(naming.ReparamBias(prefix), [fused.OutChannels], Float32.Round(fused.Bias));
        }
        LinearClassifier head = network.Head;
        yield return TensorToWrite.FromFloats($"{naming.Head}.weight", [head.Classes, head.Features], Float32.Round(head.Weight));
        yield return TensorToWrite.FromFloats($"{naming.Head}.bias", [head.Classes], Float32.Round(head.Bias));
    }

    /// <summary>Writes the tensors as a PyTorch <c>.pth</c> (a bare OrderedDict, as <c>torch.save(model.state_dict())</c>) or a <c>.safetensors</c> file.</summary>
    /// <exception cref="ArgumentException">The extension is neither.</exception>
    public static void Write(string path, IEnumerable<TensorToWrite> tensors)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        switch (FormatOf(path))
        {
            case ".pth": PthWriter.Write(path, tensors); break;
            case ".safetensors": SafetensorsWriter.Write(path, tensors); break;
            default: throw new ArgumentException($"Expected an output file ending in .pth, .pt or .safetensors; found '{path}'.", nameof(path));
        }
    }

    /// <summary><c>.pth</c> (also for <c>.pt</c>), <c>.safetensors</c>, or null for any other extension.</summary>
    public static string? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".pth" or ".pt" => ".pth",
        ".safetensors" => ".safetensors",
        _ => null,
    };
}
