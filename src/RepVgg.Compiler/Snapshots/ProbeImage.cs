namespace RepVgg.Compiler.Snapshots;

/// <summary>
/// The fixed input a model snapshot runs: one C x H x W image of pseudo-random values in [-1, 1).
/// </summary>
/// <remarks>
/// Every committed <c>.logits.txt</c> snapshot depends on these exact values, so they are defined here once
/// and must never change (not even through a change to the test-data generator, which is why this does not
/// use it). Integer arithmetic only: each value is a 24-bit integer over 2^23 minus 1, exact in float32 on
/// every machine.
/// </remarks>
public static class ProbeImage
{
    private const ulong Seed = 0x5265705667675072; // "RepVggPr"

    /// <summary>The probe image, CHW order.</summary>
    public static float[] Create(int channels, int height, int width)
    {
        var image = new float[checked(channels * height * width)];
        for (int i = 0; i < image.Length; i++) image[i] = (int)(SplitMix64((ulong)i) >> 40) / (float)(1 << 23) - 1f;
        return image;
    }

    // SplitMix64's finaliser (Steele, Lea and Flood, 2014) of the i-th point of a Weyl sequence.
    private static ulong SplitMix64(ulong index)
    {
        ulong z = Seed + index * 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
