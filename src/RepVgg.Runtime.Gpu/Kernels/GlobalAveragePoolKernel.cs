using ILGPU;
using ILGPU.Runtime;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// Global average pooling: one thread per (image, channel) sums its H x W plane. The planes reaching the
/// head are small (7 x 7 at 224 x 224) and there are batch x features of them, so a thread per plane
/// already fills the device; the work is a few microseconds next to the convolutions. Consecutive threads take
/// consecutive channels, so in NHWC a warp's loads are coalesced, and in NCHW each thread reads its own run.
/// </summary>
internal static class GlobalAveragePoolKernel
{
    /// <param name="index">Image x Channels + channel.</param>
    /// <param name="activation">N x Channels x plane, laid out as <typeparamref name="TLayout"/> says.</param>
    /// <param name="pooled">N x Channels: the planes' means.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="plane">H x W.</param>
    public static void Run<TLayout>(Index1D index, ArrayView<float> activation, ArrayView<float> pooled, int channels, int plane)
        where TLayout : struct, IActivationLayout
    {
        var layout = default(TLayout);
        int image = index / channels;
        int channel = index - image * channels;
        // The plane as one row of H x W pixels: both layouts are linear in the pixel.
        int at = layout.PixelOffset(image, 0, 0, channels, 1, plane) + channel * layout.ChannelStride(1, plane);
        int step = layout.PixelStride(channels);
        float sum = 0f;
        for (int i = 0; i < plane; i++)
            sum += layout.Load(activation, at + i * step);
        pooled[index] = sum / plane;
    }
}
