using RepVgg.Compiler.Manifest;

namespace RepVgg.Runtime.Benchmarks;

/// <summary>The runtime's view of a compiled model, built here as generated code builds it.</summary>
internal static class NetworkLayouts
{
    /// <summary>
    /// The layers and head of <paramref name="manifest"/> for an input of <paramref name="height"/> x
    /// <paramref name="width"/>: the only place this project turns manifest layers into
    /// <see cref="Conv3x3Layer"/>s, so a change to that record is a change here.
    /// </summary>
    public static NetworkLayout FromManifest(ModelManifest manifest, int height, int width)
    {
        var layers = new List<Conv3x3Layer>();
        foreach (ManifestLayer layer in manifest.Layers)
        {
            var conv = new Conv3x3Layer(layer.Name, layer.InChannels, layer.OutChannels, layer.Groups, layer.Stride,
                height, width, layer.WeightOffset, layer.BiasOffset);
            layers.Add(conv);
            (height, width) = (conv.OutHeight, conv.OutWidth);
        }
        ManifestHead head = manifest.Head;
        return new NetworkLayout(manifest.InputChannels, layers[0].InHeight, layers[0].InWidth, layers,
            new LinearHead(head.Features, head.Classes, head.WeightOffset, head.BiasOffset));
    }
}
