namespace RepVgg.GpuCheck;

/// <summary>
/// What the engine is measured against (issue #6): PyTorch 2.11 + cuDNN on one NVIDIA H200, the deployed (fused)
/// network, FP32 with TF32 off, 224 x 224, median milliseconds. Only comparable on an H200 at that size.
/// </summary>
internal static class CudnnAnchors
{
    public const string Source = "PyTorch 2.11 + cuDNN, H200, FP32 (TF32 off), 224 x 224";

    private static readonly Dictionary<(string Variant, int Batch), double> Milliseconds = new()
    {
        [("RepVGG-A0", 1)] = 1.22, [("RepVGG-A0", 8)] = 1.71, [("RepVGG-A0", 64)] = 4.20,
        [("RepVGG-B1", 1)] = 3.52, [("RepVGG-B1", 8)] = 7.34, [("RepVGG-B1", 64)] = 24.46,
    };

    /// <summary>cuDNN's median for the variant and batch at 224 x 224, or null where there is no anchor.</summary>
    public static double? For(string variant, int batch, int height, int width) =>
        height == 224 && width == 224 && Milliseconds.TryGetValue((variant, batch), out double ms) ? ms : null;
}
