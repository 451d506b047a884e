using System.Collections.Generic;
using static System.FormattableString;

namespace RepVgg.Manifest;

/// <summary>
/// What a sound manifest must hold, checked in one place: the generator refuses a manifest that fails
/// (RVG0014), and the weights step checks the manifest it writes (a failure there is a bug, RVG0022).
/// </summary>
/// <remarks>
/// A problem is one sentence, <c>At {JSON path}: expected ..., found ....</c>, plain data each caller
/// turns into its own diagnostic. Compiled into the netstandard2.0 generator too, so no Roslyn types.
/// </remarks>
public static class ManifestValidation
{
    /// <summary>
    /// The first thing wrong with <paramref name="manifest"/>: text the generated code cannot quote
    /// (<see cref="FindTextProblem"/>), then layers that do not chain (<see cref="FindStructureProblem"/>);
    /// <see langword="null"/> when it is sound.
    /// </summary>
    public static string? FindProblem(ModelManifest manifest) => FindTextProblem(manifest) ?? FindStructureProblem(manifest);

    /// <summary>
    /// A control character or line break in any of the manifest's texts, which land in comments of the
    /// generated code, where a line break would end the comment. The weights step does not check this
    /// itself: the checkpoint's file name is the user's, and the generator reports it where the project sees it.
    /// </summary>
    public static string? FindTextProblem(ModelManifest manifest)
    {
        var texts = new List<KeyValuePair<string, string>>
        {
            new("$.source.file", manifest.Source.File),
            new("$.source.sha256", manifest.Source.Sha256),
            new("$.source.keyLayout", manifest.Source.KeyLayout),
            new("$.source.kind", manifest.Source.Kind),
            new("$.variant", manifest.Variant),
            new("$.blob.sha256", manifest.Blob.Sha256),
            new("$.blob.layout", manifest.Blob.Layout),
            new("$.head.name", manifest.Head.Name),
        };
        for (int i = 0; i < manifest.Layers.Count; i++)
        {
            ManifestLayer layer = manifest.Layers[i];
            texts.Add(new(Invariant($"$.layers[{i}].name"), layer.Name));
            for (int j = 0; j < layer.Branches.Count; j++) texts.Add(new(Invariant($"$.layers[{i}].branches[{j}]"), layer.Branches[j]));
        }

        foreach (KeyValuePair<string, string> text in texts)
        {
            foreach (char c in text.Value)
            {
                if (char.IsControl(c) || c is '\u2028' or '\u2029')
                    return Invariant($"At {text.Key}: expected text without control characters or line breaks, found U+{(int)c:X4}.");
            }
        }
        return null;
    }

    /// <summary>
    /// The first structural problem: the layers must chain (each takes the channels the one before gives,
    /// in stage and block order), every layer must be one the kernels run (positive channels, stride 1 or 2,
    /// groups dividing both channel counts, an algorithm valid at its stride, a squeeze-and-excitation with a known
    /// placement and whole tensors in the blob), the head must take the last layer's channels, the blob's layout must
    /// be a known one, and every offset must lie inside the blob. <see langword="null"/> when there is none.
    /// </summary>
    public static string? FindStructureProblem(ModelManifest manifest)
    {
        long floats = manifest.Blob.Floats;
        if (manifest.Blob.Layout != ManifestBlobLayouts.Compact && manifest.Blob.Layout != ManifestBlobLayouts.Prepacked)
            return Invariant($"At $.blob.layout: expected \"{ManifestBlobLayouts.Compact}\" or \"{ManifestBlobLayouts.Prepacked}\", found \"{manifest.Blob.Layout}\".");
        if (manifest.InputChannels <= 0)
            return Invariant($"At $.inputChannels: expected a positive channel count, found {manifest.InputChannels}.");
        if (manifest.Layers.Count == 0)
            return "At $.layers: expected at least one layer, found none.";

        int channels = manifest.InputChannels;
        string channelSource = "$.inputChannels";
        int stage = 0, block = -1;
        for (int i = 0; i < manifest.Layers.Count; i++)
        {
            ManifestLayer layer = manifest.Layers[i];
            string where = Invariant($"$.layers[{i}] ({layer.Name})");
            bool nextBlock = layer.Stage == stage && layer.Block == block + 1;
            bool nextStage = layer.Stage > stage && layer.Block == 0;
            if (!nextBlock && !nextStage)
                return Invariant($"At {where}: expected stage {stage} block {block + 1} or block 0 of a later stage, found stage {layer.Stage} block {layer.Block}.");
            if (layer.InChannels != channels)
                return Invariant($"At {where}: expected {channels} input channels (the output of {channelSource}), found {layer.InChannels}.");
            if (layer.OutChannels <= 0)
                return Invariant($"At {where}: expected a positive output channel count, found {layer.OutChannels}.");
            if (layer.Stride is not (1 or 2))
                return Invariant($"At {where}: expected stride 1 or 2, found {layer.Stride}.");
            if (layer.Groups <= 0 || layer.InChannels % layer.Groups != 0 || layer.OutChannels % layer.Groups != 0)
                return Invariant($"At {where}: expected groups dividing both {layer.InChannels} and {layer.OutChannels}, found {layer.Groups}.");
            if (layer.Branches.Count == 0)
                return Invariant($"At {where}: expected the branches fused into the layer, found none.");
            bool winograd = layer.Algorithm == ManifestAlgorithms.Winograd2x2 || layer.Algorithm == ManifestAlgorithms.Winograd4x4;
            if (!(layer.Algorithm == ManifestAlgorithms.Direct || winograd && layer.Stride == 1))
                return Invariant($"At {where}: expected algorithm \"{ManifestAlgorithms.Direct}\", or \"{ManifestAlgorithms.Winograd2x2}\" or \"{ManifestAlgorithms.Winograd4x4}\" at stride 1; found \"{layer.Algorithm}\" at stride {layer.Stride}.");
            string? offsetProblem = OffsetProblem(where, "weightOffset", layer.WeightOffset, floats)
                ?? OffsetProblem(where, "biasOffset", layer.BiasOffset, floats);
            if (offsetProblem is not null) return offsetProblem;
            if (layer.Squeeze is { } squeeze && SqueezeProblem(where, squeeze, layer.OutChannels, floats) is { } squeezeProblem)
                return squeezeProblem;

            channels = layer.OutChannels;
            channelSource = where;
            stage = layer.Stage;
            block = layer.Block;
        }

        ManifestHead head = manifest.Head;
        string headWhere = $"$.head ({head.Name})";
        if (head.Features != channels)
            return Invariant($"At {headWhere}: expected {channels} features (the output of {channelSource}), found {head.Features}.");
        if (head.Classes <= 0)
            return Invariant($"At {headWhere}: expected a positive class count, found {head.Classes}.");
        return OffsetProblem(headWhere, "weightOffset", head.WeightOffset, floats)
            ?? OffsetProblem(headWhere, "biasOffset", head.BiasOffset, floats);
    }

    private static string? SqueezeProblem(string where, ManifestSqueeze squeeze, int channels, long floats)
    {
        where += ".squeeze";
        if (squeeze.Placement != ManifestSqueezePlacements.BeforeRelu && squeeze.Placement != ManifestSqueezePlacements.AfterRelu)
            return Invariant($"At {where}: expected placement \"{ManifestSqueezePlacements.BeforeRelu}\" or \"{ManifestSqueezePlacements.AfterRelu}\", found \"{squeeze.Placement}\".");
        if (squeeze.InternalChannels <= 0)
            return Invariant($"At {where}: expected a positive internal channel count, found {squeeze.InternalChannels}.");
        // Each tensor must lie wholly inside the blob: the engines read them without further checks.
        return TensorProblem(where, "downWeightOffset", squeeze.DownWeightOffset, (long)squeeze.InternalChannels * channels, floats)
            ?? TensorProblem(where, "downBiasOffset", squeeze.DownBiasOffset, squeeze.InternalChannels, floats)
            ?? TensorProblem(where, "upWeightOffset", squeeze.UpWeightOffset, (long)channels * squeeze.InternalChannels, floats)
            ?? TensorProblem(where, "upBiasOffset", squeeze.UpBiasOffset, channels, floats);
    }

    private static string? TensorProblem(string where, string name, long offset, long length, long floats) =>
        offset >= 0 && offset <= floats - length
            ? null
            : Invariant($"At {where}: expected {name} to place its {length} floats inside the {floats}-float blob, found {offset}.");

    private static string? OffsetProblem(string where, string name, long offset, long floats) =>
        offset >= 0 && offset < floats
            ? null
            : Invariant($"At {where}: expected a {name} inside the {floats}-float blob, found {offset}.");
}
