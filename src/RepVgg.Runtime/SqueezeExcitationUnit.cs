namespace RepVgg;

/// <summary>
/// A squeeze-and-excitation unit on a layer's output of C channels: each image's channel means <c>m</c> (over the whole
/// map; the official <c>avg_pool2d</c> with a window as wide as the input, for a square one), then per channel
/// <c>s = sigmoid(Wu relu(Wd m + bd) + bu)</c> scales the output. The four tensors lie in the blob in float32, each at a
/// multiple of 16 floats: <c>Wd</c> (InternalChannels, C) and <c>Wu</c> (C, InternalChannels) row-major.
/// </summary>
/// <param name="Placement">Before or after the layer's ReLU: which values are pooled.</param>
/// <param name="InternalChannels">The reduced width: C / 16 in RepVGG-D2se, C / 4 in RepVGGplus-L2pse.</param>
/// <param name="DownWeightOffset">Offset of <c>Wd</c>, in floats.</param>
/// <param name="DownBiasOffset">Offset of <c>bd</c> (InternalChannels), in floats.</param>
/// <param name="UpWeightOffset">Offset of <c>Wu</c>, in floats.</param>
/// <param name="UpBiasOffset">Offset of <c>bu</c> (C), in floats.</param>
public sealed record SqueezeExcitationUnit(
    SqueezePlacement Placement, int InternalChannels, long DownWeightOffset, long DownBiasOffset, long UpWeightOffset, long UpBiasOffset);
