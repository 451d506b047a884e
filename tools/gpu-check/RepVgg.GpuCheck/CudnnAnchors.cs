namespace RepVgg.GpuCheck;

/// <summary>
/// What the engine is measured against (issue #6): PyTorch 2.11 + cuDNN on one NVIDIA H200, the deployed (fused)
/// network, 224 x 224, median milliseconds: FP32 with TF32 off for A0 and B1 at batch 1, 8 and 64; TF32 and FP16
/// (channels-last) for B1 at batch 64 only. Only comparable on an H200 at that size.
/// </summary>
internal static class CudnnAnchors
{
    public const string Source = "PyTorch 2.11 + cuDNN, H200, 224 x 224 (FP32 with TF32 off; TF32; FP16 channels-last)";

    private static readonly Dictionary<(string Variant, Precision Precision, int Batch), double> Milliseconds = new()
    {
        [("RepVGG-A0", Precision.Fp32, 1)] = 1.22, [("RepVGG-A0", Precision.Fp32, 8)] = 1.71, [("RepVGG-A0", Precision.Fp32, 64)] = 4.20,
        [("RepVGG-B1", Precision.Fp32, 1)] = 3.52, [("RepVGG-B1", Precision.Fp32, 8)] = 7.34, [("RepVGG-B1", Precision.Fp32, 64)] = 24.46,
        [("RepVGG-B1", Precision.Tf32, 64)] = 7.72,
        [("RepVGG-B1", Precision.Fp16, 64)] = 3.49,
    };

    /// <summary>cuDNN's median for the variant, precision and batch at 224 x 224, or null where there is no anchor.</summary>
    public static double? For(string variant, Precision precision, int batch, int height, int width) =>
        height == 224 && width == 224 && Milliseconds.TryGetValue((variant, precision, batch), out double ms) ? ms : null;
}
