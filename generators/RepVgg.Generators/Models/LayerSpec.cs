using RepVgg.Compiler.Manifest;

namespace RepVgg.Generators;

/// <summary>One fused layer as the generated class declares it.</summary>
/// <param name="FieldName">Name of its <c>Conv3x3Layer</c> field: <c>Stage0</c>, <c>Stage1Block0</c>, ...</param>
/// <param name="Layer">The layer as the manifest describes it.</param>
/// <param name="InHeight">Height of its input activation.</param>
/// <param name="InWidth">Width of its input activation.</param>
internal sealed record LayerSpec(string FieldName, ManifestLayer Layer, int InHeight, int InWidth)
{
    /// <summary>Output height for a 3x3 convolution with padding 1.</summary>
    public int OutHeight => (InHeight - 1) / Layer.Stride + 1;

    /// <summary>Output width for a 3x3 convolution with padding 1.</summary>
    public int OutWidth => (InWidth - 1) / Layer.Stride + 1;
}
