using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// Functions the kernels need that ILGPU has no PTX intrinsic for without the CUDA toolkit's libdevice (its
/// <c>MathF.Exp</c> is refused on CUDA: "ExpF does not have an intrinsic implementation"), in plain float32
/// arithmetic that compiles for every accelerator.
/// </summary>
internal static class DeviceMath
{
    private const float Log2E = 1.44269504f;
    // ln 2 split in two (Cody and Waite): n ln2High is exact for |n| < 2^11, so x - n ln 2 keeps its low bits.
    private const float Ln2High = 0.693145752f;
    private const float Ln2Low = 1.42860677e-6f;

    /// <summary>
    /// e^<paramref name="x"/> to about one unit in the last place: x = n ln 2 + r with |r| &lt;= ln 2 / 2, e^r by its
    /// Taylor series to r^7 (truncation below 1e-8 relative), times 2^n built in the exponent bits. Below -87.3 it is 0
    /// (e^x is then below float32's smallest normal), above 88.7 infinity.
    /// </summary>
    public static float Exp(float x)
    {
        if (x < -87.3f)
            return 0f;
        if (x > 88.7f)
            return float.PositiveInfinity;
        float scaled = x * Log2E;
        int n = (int)(scaled + (scaled >= 0f ? 0.5f : -0.5f));
        float r = x - n * Ln2High - n * Ln2Low;
        float p = 1f + r * (1f + r * (1f / 2 + r * (1f / 6 + r * (1f / 24 + r * (1f / 120 + r * (1f / 720 + r * (1f / 5040)))))));
        // 2^n as a float: n + 127 in the exponent field, for n in -126..127; n = 128 (x above 88.38) as 2 x 2^127.
        return n > 127
            ? p * 2f * Interop.IntAsFloat(254u << 23)
            : p * Interop.IntAsFloat((uint)(n + 127) << 23);
    }
}
