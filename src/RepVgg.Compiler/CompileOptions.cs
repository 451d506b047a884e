using System.Globalization;
using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;

namespace RepVgg.Compiler;

/// <summary>What a project says about a checkpoint besides its path: the <c>RepVggModel</c> item's metadata.</summary>
public sealed record CompileOptions
{
    /// <summary>The published variant the checkpoint must be (<c>B1g4</c> or <c>RepVGG-B1g4</c>), or null for any.</summary>
    public string? Variant { get; init; }

    /// <summary>
    /// Input height the layers' algorithms are chosen for (the network runs on that size; the choice only affects
    /// speed), or null when the project does not say: <see cref="WeightsStep.DefaultInputSize"/> is assumed, with a
    /// warning (RVG0028) for a custom network.
    /// </summary>
    public int? InputHeight { get; init; }

    /// <summary>Input width the layers' algorithms are chosen for, or null for <see cref="WeightsStep.DefaultInputSize"/>, as <see cref="InputHeight"/>.</summary>
    public int? InputWidth { get; init; }

    /// <summary>
    /// The stride of each stage's first block, stem first: one value per stage, each 1 or 2. A state dict
    /// does not store strides; null means RepVGG's (2 for every stage). Networks trained on small images
    /// often have a stride-1 stem: <c>[1, 2, 2, 2, 2]</c>.
    /// </summary>
    public IReadOnlyList<int>? Strides { get; init; }

    /// <summary>
    /// How the blob holds the conv layers' weights: compact (each layer's fused weights once; Winograd layers transformed
    /// at <c>Create</c>), the default, or prepacked (each in its algorithm's layout, about 3 times the size).
    /// </summary>
    public WeightsLayout WeightsLayout { get; init; } = WeightsLayout.Compact;

    /// <summary>
    /// The top-level entry of a PyTorch checkpoint that holds the state dict (<c>state_dict_ema</c>), or null
    /// for <c>state_dict</c>, else <c>model</c>, else the top level.
    /// </summary>
    public string? StateDictKey { get; init; }

    /// <summary>
    /// Reads the <c>Strides</c> metadata, comma-separated integers (<c>1,2,2,2,2</c>); whether each is 1 or 2
    /// and whether there is one per stage is checked against the checkpoint when it is compiled.
    /// </summary>
    /// <exception cref="CompilationException">RVG0016 when <paramref name="text"/> is not a list of integers.</exception>
    public static IReadOnlyList<int> ParseStrides(string text, string checkpointPath)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var strides = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out strides[i]))
                throw new CompilationException(CompilerDiagnostic.Error(DiagnosticIds.InvalidStrides, checkpointPath,
                    $"Strides is '{text}'; expected one stride per stage, stem first, separated by commas, e.g. Strides=\"1,2,2,2,2\"."));
        }
        return strides;
    }
}
