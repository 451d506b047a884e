namespace RepVgg;

/// <summary>How a <see cref="Conv3x3Layer"/> is computed; the weights step chooses per layer, and the weights are packed for it.</summary>
public enum ConvAlgorithm
{
    /// <summary>
    /// Direct convolution: 9 multiply-adds per output per input channel. Weights in layout
    /// <c>cpu-oc16-v1</c> (<see cref="Cpu.Conv3x3Packing"/>). Any stride.
    /// </summary>
    Direct,

    /// <summary>
    /// Winograd F(2x2, 3x3): 16 multiply-adds per 2 x 2 output tile per input channel, 4 per output
    /// instead of 9, plus the tiles' transforms. Weights transformed at build time, 16 / 9 of the
    /// direct ones, layout <c>winograd-f2x2-oc16-v1</c> (<see cref="Cpu.WinogradPacking"/>). Stride 1 only.
    /// </summary>
    Winograd2x2,

    /// <summary>
    /// Winograd F(4x4, 3x3): 36 multiply-adds per 4 x 4 output tile per input channel, 2.25 per output
    /// instead of 9, plus the tiles' transforms. Weights transformed at build time, 4 times the direct
    /// ones, layout <c>winograd-f4x4-oc16-v1</c> (<see cref="Cpu.WinogradPacking"/>). Stride 1 only.
    /// </summary>
    Winograd4x4,
}

/// <summary>What the backends ask of a <see cref="ConvAlgorithm"/>.</summary>
internal static class ConvAlgorithms
{
    /// <summary>Whether the algorithm is a Winograd one: the layer's weights in the blob are transformed, and its stride is 1.</summary>
    public static bool IsWinograd(this ConvAlgorithm algorithm) => algorithm is ConvAlgorithm.Winograd2x2 or ConvAlgorithm.Winograd4x4;
}
