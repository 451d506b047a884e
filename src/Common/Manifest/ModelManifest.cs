namespace RepVgg.Manifest;

/// <summary>
/// What the weights step tells the source generator about one model: the plain network's
/// layers and where each layer's fused weights lie in the blob. Written as JSON next to the
/// blob (see <see cref="ManifestJson"/>); holds no weights.
/// </summary>
/// <param name="Format">Manifest format version; <see cref="CurrentFormat"/>.</param>
/// <param name="Source">The checkpoint it came from.</param>
/// <param name="Variant">The published variant the tensors match (<c>RepVGG-B1g4</c>), or <c>custom</c>.</param>
/// <param name="InputChannels">Channels of the input image (3).</param>
/// <param name="Blob">The fused weight blob.</param>
/// <param name="Layers">The fused conv3x3 + bias + ReLU layers (some with a squeeze-and-excitation), in order.</param>
/// <param name="Head">Global average pooling and the linear classifier.</param>
public sealed record ModelManifest(
    int Format,
    ManifestSource Source,
    string Variant,
    int InputChannels,
    ManifestBlob Blob,
    EquatableArray<ManifestLayer> Layers,
    ManifestHead Head)
{
    /// <summary>
    /// The format this version writes and reads. Format 3 added each layer's optional squeeze-and-excitation, which a
    /// format 2 reader would silently ignore.
    /// </summary>
    public const int CurrentFormat = 3;
}

/// <summary>The checkpoint a manifest was made from.</summary>
/// <param name="File">File name (no directory, so the manifest does not depend on where the repository lies).</param>
/// <param name="Sha256">SHA-256 of the file, lower-case hex.</param>
/// <param name="KeyLayout"><c>official</c> or <c>timm</c>: which naming scheme its tensors use.</param>
/// <param name="Kind"><c>training</c> (branches fused by the weights step) or <c>deploy</c> (already fused).</param>
public sealed record ManifestSource(string File, string Sha256, string KeyLayout, string Kind);

/// <summary>The fused weight blob: raw little-endian float32.</summary>
/// <param name="Floats">Length in floats.</param>
/// <param name="Sha256">SHA-256 of the blob, lower-case hex.</param>
/// <param name="Layout">Name of the packing the offsets refer to, one of <see cref="ManifestBlobLayouts"/>.</param>
public sealed record ManifestBlob(long Floats, string Sha256, string Layout);

/// <summary>One fused conv3x3 + bias + ReLU layer.</summary>
/// <param name="Name">The block's key prefix in the checkpoint (<c>stage1.0</c>, <c>stages.0.0</c>, <c>stem</c>).</param>
/// <param name="Stage">0 for the stem, 1..4 for the stages.</param>
/// <param name="Block">Index of the block within its stage.</param>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Stride">1 or 2.</param>
/// <param name="Groups">Convolution groups.</param>
/// <param name="Branches">What was fused into this layer: <c>3x3</c>, <c>1x1</c>, <c>identity</c>; or <c>reparam</c> for an already-fused block.</param>
/// <param name="Algorithm">How the layer is computed, one of <see cref="ManifestAlgorithms"/>; a prepacked blob holds its weights packed for it.</param>
/// <param name="WeightOffset">Offset of the packed weights in the blob, in floats.</param>
/// <param name="BiasOffset">Offset of the bias in the blob, in floats.</param>
/// <param name="Squeeze">The squeeze-and-excitation on the layer's output, or null (<c>squeeze</c> absent in the JSON).</param>
public sealed record ManifestLayer(
    string Name, int Stage, int Block, int InChannels, int OutChannels, int Stride, int Groups,
    EquatableArray<string> Branches, string Algorithm, long WeightOffset, long BiasOffset, ManifestSqueeze? Squeeze = null);

/// <summary>A layer's squeeze-and-excitation: where it sits, its reduced width, and its four float32 tensors in the blob.</summary>
/// <param name="Placement">One of <see cref="ManifestSqueezePlacements"/>.</param>
/// <param name="InternalChannels">The reduced width.</param>
/// <param name="DownWeightOffset">Offset of the (InternalChannels, OutChannels) row-major down weight, in floats.</param>
/// <param name="DownBiasOffset">Offset of the down bias (InternalChannels), in floats.</param>
/// <param name="UpWeightOffset">Offset of the (OutChannels, InternalChannels) row-major up weight, in floats.</param>
/// <param name="UpBiasOffset">Offset of the up bias (OutChannels), in floats.</param>
public sealed record ManifestSqueeze(
    string Placement, int InternalChannels, long DownWeightOffset, long DownBiasOffset, long UpWeightOffset, long UpBiasOffset);

/// <summary>Where a squeeze-and-excitation sits, as a manifest names it.</summary>
public static class ManifestSqueezePlacements
{
    /// <summary>On the conv's output, before the ReLU (RepVGG-D2se).</summary>
    public const string BeforeRelu = "before-relu";

    /// <summary>After the ReLU (RepVGGplus-L2pse).</summary>
    public const string AfterRelu = "after-relu";
}

/// <summary>The algorithms a manifest layer may name.</summary>
public static class ManifestAlgorithms
{
    /// <summary>Direct convolution; weights in layout <c>cpu-oc16-v1</c>.</summary>
    public const string Direct = "direct";

    /// <summary>Winograd F(2x2, 3x3), stride 1 only; weights transformed, layout <c>winograd-f2x2-oc16-v1</c>.</summary>
    public const string Winograd2x2 = "winograd-f2x2";

    /// <summary>Winograd F(4x4, 3x3), stride 1 only; weights transformed, layout <c>winograd-f4x4-oc16-v1</c>.</summary>
    public const string Winograd4x4 = "winograd-f4x4";
}

/// <summary>The blob layouts a manifest names (<see cref="ManifestBlob.Layout"/>): the item metadata <c>WeightsLayout</c>.</summary>
public static class ManifestBlobLayouts
{
    /// <summary>Every conv layer in the direct layout (<c>cpu-oc16-v1</c>) whatever its algorithm: <c>WeightsLayout="Compact"</c>, the default.</summary>
    public const string Compact = "compact-v1";

    /// <summary>Every conv layer in the layout of its algorithm, Winograd layers transformed: <c>WeightsLayout="Prepacked"</c>.</summary>
    public const string Prepacked = "cpu-v2";
}

/// <summary>The classifier after global average pooling.</summary>
/// <param name="Name">Its key prefix in the checkpoint (<c>linear</c>, <c>head.fc</c>).</param>
/// <param name="Features">Inputs: the last layer's channels.</param>
/// <param name="Classes">Outputs.</param>
/// <param name="WeightOffset">Offset of the (Classes, Features) row-major weight, in floats.</param>
/// <param name="BiasOffset">Offset of the bias, in floats.</param>
public sealed record ManifestHead(string Name, int Features, int Classes, long WeightOffset, long BiasOffset);
