using RepVgg.Manifest;

namespace RepVgg.Generators;

/// <summary>Everything the emitter needs to write one network class; validated, with every shape worked out.</summary>
/// <param name="Namespace">Namespace of the class; empty for the global namespace.</param>
/// <param name="ClassName">Name of the class.</param>
/// <param name="ResourceName">Logical name of the embedded weight blob.</param>
/// <param name="Source">The checkpoint the weights came from.</param>
/// <param name="Variant">The published variant, or <c>custom</c>.</param>
/// <param name="InputChannels">Channels of an input image.</param>
/// <param name="InputHeight">Height of an input image.</param>
/// <param name="InputWidth">Width of an input image.</param>
/// <param name="Blob">The fused weight blob.</param>
/// <param name="Layers">The fused layers, in order.</param>
/// <param name="Head">The classifier.</param>
/// <param name="Embedded">Whether the blob is embedded, or (<c>Embed="false"</c>) a file of the resource's name beside the assembly.</param>
internal sealed record NetworkSpec(
    string Namespace,
    string ClassName,
    string ResourceName,
    ManifestSource Source,
    string Variant,
    int InputChannels,
    int InputHeight,
    int InputWidth,
    ManifestBlob Blob,
    EquatableArray<LayerSpec> Layers,
    ManifestHead Head,
    bool Embedded = true)
{
    /// <summary>The generated file's name: <c>Namespace.ClassName.g.cs</c>.</summary>
    public string HintName => Namespace.Length == 0 ? $"{ClassName}.g.cs" : $"{Namespace}.{ClassName}.g.cs";
}
