using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>The implicit-GEMM kernels' last step: one output of the GEMM, with bias and ReLU, into the NCHW output.</summary>
internal static class ConvOutput
{
    /// <summary>
    /// Writes ReLU(<paramref name="sum"/> + bias) for output channel <paramref name="channelInGroup"/> of conv group
    /// <paramref name="group"/> at GEMM column <paramref name="pixel"/>, if both lie inside the layer.
    /// </summary>
    public static void Store(ArrayView<float> output, ArrayView<float> bias, ConvShape shape, int group, int channelInGroup, int pixel, float sum)
    {
        if (channelInGroup >= shape.OutPerGroup || pixel >= shape.Pixels)
            return;
        int channel = group * shape.OutPerGroup + channelInGroup;
        int image = pixel / shape.OutPlane;
        int pixelInImage = pixel - image * shape.OutPlane;
        float value = sum + bias[channel];
        output[(image * shape.OutChannels + channel) * shape.OutPlane + pixelInImage] = value > 0f ? value : 0f;
    }
}
