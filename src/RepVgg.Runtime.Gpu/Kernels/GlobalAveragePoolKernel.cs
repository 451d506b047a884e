using ILGPU;
using ILGPU.Runtime;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// Global average pooling: one thread per (image, channel) sums its H x W plane. The planes reaching the
/// head are small (7 x 7 at 224 x 224) and there are batch x features of them, so a thread per plane
/// already fills the device; the work is a few microseconds next to the convolutions.
/// </summary>
internal static class GlobalAveragePoolKernel
{
    /// <param name="index">Image x Channels + channel.</param>
    /// <param name="activation">N x Channels x plane.</param>
    /// <param name="pooled">N x Channels: the planes' means.</param>
    /// <param name="plane">H x W.</param>
    public static void Run(Index1D index, ArrayView<float> activation, ArrayView<float> pooled, int plane)
    {
        int start = index * plane;
        float sum = 0f;
        for (int i = 0; i < plane; i++)
            sum += activation[start + i];
        pooled[index] = sum / plane;
    }
}
