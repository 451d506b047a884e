using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>The implicit-GEMM kernels' last step: outputs of the GEMM, with bias and ReLU, into the NCHW output.</summary>
internal static class ConvOutput
{
    /// <summary>
    /// Writes ReLU(<paramref name="sum"/> + bias) for output channel <paramref name="channelInGroup"/> of conv group
    /// <paramref name="group"/> at GEMM column <paramref name="pixel"/>, if both lie inside the layer.
    /// </summary>
    public static void Store(ArrayView<float> output, ArrayView<float> bias, ConvShape shape, int group, int channelInGroup, OutputPixel pixel, float sum)
    {
        if (channelInGroup >= shape.OutPerGroup || !pixel.Inside)
            return;
        int channel = group * shape.OutPerGroup + channelInGroup;
        float value = sum + bias[channel];
        output[pixel.Offset + channel * shape.OutPlane] = value > 0f ? value : 0f;
    }

}

/// <summary>
/// Where a GEMM column (image x output pixels) lands in the NCHW output: the offset of its channel 0, found with one
/// division by the run-time plane size (a routine of some twenty instructions). The tensor-core kernel makes it once
/// per column of its fragments rather than once per output, and steps to the next column without one.
/// </summary>
internal readonly struct OutputPixel
{
    private readonly int _pixel, _pixelInImage;

    public OutputPixel(ConvShape shape, int pixel)
    {
        int image = pixel / shape.OutPlane;
        _pixel = pixel;
        _pixelInImage = pixel - image * shape.OutPlane;
        Offset = image * shape.OutChannels * shape.OutPlane + _pixelInImage;
        Inside = pixel < shape.Pixels;
    }

    private OutputPixel(ConvShape shape, int pixel, int pixelInImage, int offset)
    {
        _pixel = pixel;
        _pixelInImage = pixelInImage;
        Offset = offset;
        Inside = pixel < shape.Pixels;
    }

    /// <summary>The output's index of this column at channel 0 (each channel is <c>OutPlane</c> further on).</summary>
    public int Offset { get; }

    /// <summary>Whether the column lies inside N (the batch's pixels).</summary>
    public bool Inside { get; }

    /// <summary>The next column: the next pixel of the image, or the first of the next image.</summary>
    public OutputPixel Next(ConvShape shape) => _pixelInImage + 1 == shape.OutPlane
        ? new(shape, _pixel + 1, 0, Offset + 1 - shape.OutPlane + shape.OutChannels * shape.OutPlane)
        : new(shape, _pixel + 1, _pixelInImage + 1, Offset + 1);
}
