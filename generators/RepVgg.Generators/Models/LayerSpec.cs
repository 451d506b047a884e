using RepVgg.Manifest;

namespace RepVgg.Generators;

/// <summary>One fused layer as the generated class declares it.</summary>
/// <param name="FieldName">Name of its <c>Conv3x3Layer</c> field: <c>Stage0</c>, <c>Stage1Block0</c>, ...</param>
/// <param name="Layer">The layer as the manifest describes it.</param>
/// <param name="Shape">Height and width of its input and output activations.</param>
internal sealed record LayerSpec(string FieldName, ManifestLayer Layer, LayerShape Shape);
