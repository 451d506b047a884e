using ILGPU;
using ILGPU.Runtime;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// Between NCHW float32, the API's layout, and channels last, the tensor-core engines' (<see cref="NhwcTf32"/> in TF32,
/// <see cref="NhwcHalf{TTarget}"/> in FP16): the images as they come in, and an activation as
/// <see cref="InferenceEngine.CopyActivation"/> hands it out. One thread per element, numbered in the order of what it
/// writes, so the writes are coalesced; a few microseconds for a batch of 224 x 224 images, once per call.
/// </summary>
internal static class ActivationTransposeKernel
{
    /// <param name="index">The element of <paramref name="nhwc"/>: (image x plane + pixel) x channels + channel.</param>
    /// <param name="nchw">N x channels x plane.</param>
    /// <param name="nhwc">N x plane x channels, in <typeparamref name="TLayout"/>'s format.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="plane">H x W.</param>
    public static void ToChannelsLast<TLayout>(Index1D index, ArrayView<float> nchw, ArrayView<float> nhwc, int channels, int plane)
        where TLayout : struct, IActivationLayout
    {
        int column = index / channels;
        int channel = index - column * channels;
        default(TLayout).Store(nhwc, index, nchw[default(Nchw).ColumnOffset(column, channels, plane) + channel * plane]);
    }

    /// <param name="index">The element of <paramref name="nchw"/>: (image x channels + channel) x plane + pixel.</param>
    /// <param name="nhwc">N x plane x channels, in <typeparamref name="TLayout"/>'s format.</param>
    /// <param name="nchw">N x channels x plane.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="plane">H x W.</param>
    public static void ToChannelsFirst<TLayout>(Index1D index, ArrayView<float> nhwc, ArrayView<float> nchw, int channels, int plane)
        where TLayout : struct, IActivationLayout
    {
        int row = index / plane;
        int pixel = index - row * plane;
        int image = row / channels;
        nchw[index] = default(TLayout).Load(nhwc, (image * plane + pixel) * channels + row - image * channels);
    }
}
