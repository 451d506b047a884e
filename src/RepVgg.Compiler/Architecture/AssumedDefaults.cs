using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;

namespace RepVgg.Compiler.Architecture;

/// <summary>
/// The warning for a custom network compiled on RepVGG's defaults. A state_dict stores neither strides nor the
/// input size: for a published variant RepVGG's are the right guess, but a custom network (a CIFAR or MNIST
/// model with a stride-1 stem and 28 x 28 images) compiled on them silently computes other shapes than it was
/// trained on, and its generated class expects 224 x 224 images.
/// </summary>
internal static class AssumedDefaults
{
    /// <summary>RVG0028 naming what was assumed and the metadata that sets it, or null when nothing was.</summary>
    /// <param name="checkpointPath">The checkpoint, which the warning names.</param>
    /// <param name="network">The network read from it, which matches no published variant.</param>
    /// <param name="options">What the project gave.</param>
    public static CompilerDiagnostic? Warning(string checkpointPath, TrainedNetwork network, CompileOptions options)
    {
        var assumed = new List<(string Value, string Metadata, string Option)>();
        if (options.Strides is null)
        {
            int stages = network.Blocks.Select(block => block.Stage).Distinct().Count();
            assumed.Add(($"strides {string.Join(",", Enumerable.Repeat(NetworkReader.DefaultStageStride, stages))} (RepVGG's, stem first)",
                "Strides=\"...\"", "--strides"));
        }
        int size = WeightsStep.DefaultInputSize;
        if (options.InputHeight is null && options.InputWidth is null)
            assumed.Add(($"input {size} x {size} (RepVGG's)", "InputHeight and InputWidth", "--input-height and --input-width"));
        else if (options.InputHeight is null)
            assumed.Add(($"input height {size} (RepVGG's)", "InputHeight", "--input-height"));
        else if (options.InputWidth is null)
            assumed.Add(($"input width {size} (RepVGG's)", "InputWidth", "--input-width"));
        if (assumed.Count == 0) return null;
        return CompilerDiagnostic.Warning(DiagnosticIds.AssumedDefaults, checkpointPath,
            $"The checkpoint matches no published RepVGG variant, and was compiled assuming {string.Join(" and ", assumed.Select(a => a.Value))}: " +
            "a state_dict stores neither strides nor the input size. If the network was trained otherwise, set " +
            $"{string.Join(", ", assumed.Select(a => a.Metadata))} on its RepVggModel item ({string.Join(", ", assumed.Select(a => a.Option))} on the command line).");
    }
}
