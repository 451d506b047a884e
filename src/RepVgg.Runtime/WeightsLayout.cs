namespace RepVgg;

/// <summary>
/// How a model's weight blob holds its conv layers' weights: the <c>WeightsLayout</c> metadata of its
/// <c>RepVggModel</c> item, recorded in its manifest.
/// </summary>
public enum WeightsLayout
{
    /// <summary>
    /// Each conv layer's fused weights once, in the direct layout, whatever its algorithm: the blob is about the size of
    /// the fused float32 weights. The weights a Winograd layer reads (transformed, about 4 times as many for F(4x4)) are
    /// computed when the first engine on the blob is created, once per process, and shared by every engine on it.
    /// </summary>
    Compact,

    /// <summary>
    /// Each conv layer in the layout its algorithm reads, Winograd layers transformed by the weights step: nothing to
    /// compute at <c>Create</c>, at the price of a blob about 3 times the fused weights' size.
    /// </summary>
    Prepacked,
}
