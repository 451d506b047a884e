using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>The implicit-GEMM kernels' last step: one output of the GEMM, with bias and ReLU, into the NCHW output.</summary>
internal static class ConvOutput
{
    /// <summary>Writes ReLU(<paramref name="sum"/> + <paramref name="bias"/>) for <paramref name="channel"/> at GEMM column <paramref name="pixel"/> if it lies inside.</summary>
    public static void Store(ArrayView<float> output, ConvShape shape, int channel, int pixel, float sum, float bias)
    {
        if (pixel >= shape.Pixels)
            return;
        int image = pixel / shape.OutPlane;
        int pixelInImage = pixel - image * shape.OutPlane;
        float value = sum + bias;
        output[(image * shape.OutChannels + channel) * shape.OutPlane + pixelInImage] = value > 0f ? value : 0f;
    }
}
