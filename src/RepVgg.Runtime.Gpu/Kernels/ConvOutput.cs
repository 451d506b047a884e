using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>The implicit-GEMM kernels' last step: outputs of the GEMM, with bias and ReLU, into the output.</summary>
internal static class ConvOutput
{
    /// <summary>
    /// Writes ReLU(<paramref name="sum"/> + bias) for output channel <paramref name="channelInGroup"/> of conv group
    /// <paramref name="group"/> at GEMM column <paramref name="pixel"/> of the NCHW output, if both lie inside the layer.
    /// </summary>
    public static void Store(ArrayView<float> output, ArrayView<float> bias, ConvShape shape, int group, int channelInGroup, OutputPixel pixel, float sum)
    {
        if (channelInGroup >= shape.OutPerGroup || !pixel.Inside)
            return;
        int channel = group * shape.OutPerGroup + channelInGroup;
        float value = sum + bias[channel];
        output[pixel.Offset + channel * shape.OutPlane] = value > 0f ? value : 0f;
    }

    /// <summary>
    /// As <see cref="Store"/>, into a channels-last output, where GEMM column <paramref name="pixel"/> (image x output
    /// pixels) is simply the output's pixel: no division places it.
    /// </summary>
    public static void StoreChannelsLast(ArrayView<float> output, ArrayView<float> bias, ConvShape shape, int group, int channelInGroup, int pixel, float sum)
    {
        if (channelInGroup >= shape.OutPerGroup || pixel >= shape.Pixels)
            return;
        int channel = group * shape.OutPerGroup + channelInGroup;
        float value = sum + bias[channel];
        output[pixel * shape.OutChannels + channel] = value > 0f ? value : 0f;
    }
}

/// <summary>
/// Where a GEMM column (image x output pixels) lands in the NCHW output: the offset of its channel 0, found with one
/// division by the run-time plane size (a routine of some twenty instructions).
/// </summary>
internal readonly struct OutputPixel
{
    public OutputPixel(ConvShape shape, int pixel)
    {
        int image = pixel / shape.OutPlane;
        Offset = image * shape.OutChannels * shape.OutPlane + pixel - image * shape.OutPlane;
        Inside = pixel < shape.Pixels;
    }

    /// <summary>The output's index of this column at channel 0 (each channel is <c>OutPlane</c> further on).</summary>
    public int Offset { get; }

    /// <summary>Whether the column lies inside N (the batch's pixels).</summary>
    public bool Inside { get; }
}
