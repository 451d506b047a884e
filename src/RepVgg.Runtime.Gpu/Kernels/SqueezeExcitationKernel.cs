using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// The last of a squeeze-and-excitation's four launches, after the channel means (<see cref="GlobalAveragePoolKernel"/>)
/// and the down and up 1x1 convs (<see cref="DenseKernel"/> with <see cref="DenseKernel.Relu"/>, then
/// <see cref="DenseKernel.Sigmoid"/>): each value times its channel's gate, in place, after the layer's ReLU when the
/// unit comes before it (the conv then stored its sums unclamped, <see cref="ConvShape.ReluFloor"/>). The products are
/// tiny next to the convs (at most 2,560 x 640 per image, in RepVGGplus-L2pse).
/// </summary>
internal static class SqueezeExcitationKernel
{
    /// <summary>
    /// Value <paramref name="index"/> of the activation (N x <paramref name="channels"/> x <paramref name="plane"/> in
    /// <typeparamref name="TLayout"/>, so consecutive threads touch consecutive values) times its channel's gate, after ReLU
    /// when <paramref name="relu"/> is 1.
    /// </summary>
    /// <param name="gates">N x Channels.</param>
    public static void Scale<TLayout>(Index1D index, ArrayView<float> activation, ArrayView<float> gates, int channels, int plane, int relu)
        where TLayout : struct, IActivationLayout
    {
        var layout = default(TLayout);
        int image = index / (channels * plane);
        int channel = index / layout.ChannelStride(1, plane) % channels;
        float value = layout.Load(activation, index);
        if (relu != 0 && value < 0f)
            value = 0f;
        layout.Store(activation, index, value * gates[image * channels + channel]);
    }
}
