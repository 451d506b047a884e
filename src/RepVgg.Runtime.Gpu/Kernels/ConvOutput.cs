using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>The implicit-GEMM kernels' last step: outputs of the GEMM, with bias and ReLU (<see cref="ConvShape.ReluFloor"/>), into the output.</summary>
internal static class ConvOutput
{
    /// <summary>
    /// Writes ReLU(<paramref name="sum"/> + bias) for output channel <paramref name="channelInGroup"/> of conv group
    /// <paramref name="group"/> at GEMM column <paramref name="pixel"/> (image x output pixels) of the output, laid out
    /// as <typeparamref name="TLayout"/> says (and in its format), if both lie inside the layer.
    /// </summary>
    public static void Store<TLayout>(ArrayView<float> output, ArrayView<float> bias, ConvShape shape, int group, int channelInGroup, int pixel, float sum)
        where TLayout : struct, IActivationLayout
    {
        var layout = default(TLayout);
        // The place and the test made before the branch: so ptxas 11.8 compiles the float32 128 x 128 kernel with 123
        // registers, as before this was generic over the layout (with them inside it, 126).
        int at = layout.ColumnOffset(pixel, shape.OutChannels, shape.OutPlane);
        bool inside = pixel < shape.Pixels;
        if (channelInGroup >= shape.OutPerGroup || !inside)
            return;
        int channel = group * shape.OutPerGroup + channelInGroup;
        float value = sum + bias[channel];
        // ReLU in a local: as an argument of the store, ILGPU branches to two stores (the float32 kernels' SASS grew by
        // 40 and 160 instructions). Its floor is 0, or minus infinity where a squeeze-and-excitation applies it.
        float relu = value > shape.ReluFloor ? value : shape.ReluFloor;
        layout.Store(output, at + channel * layout.ChannelStride(shape.OutHeight, shape.OutWidth), relu);
    }
}
