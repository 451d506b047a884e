namespace RepVgg.Runtime.Tests.Reference;

/// <summary>
/// The plain scalar conv3x3 (padding 1) + bias + ReLU the SIMD kernels are checked against:
/// NCHW activations, PyTorch weight layout, accumulation in double.
/// </summary>
internal static class Conv3x3Reference
{
    /// <summary>
    /// <paramref name="input"/> is (batch, inChannels, height, width); <paramref name="weight"/> is
    /// (outChannels, inChannels / groups, 3, 3); returns (batch, outChannels, outHeight, outWidth).
    /// </summary>
    public static float[] Conv3x3BiasRelu(
        float[] input, int batch, int inChannels, int height, int width,
        float[] weight, float[] bias, int outChannels, int groups, int stride)
    {
        int outHeight = (height - 1) / stride + 1;
        int outWidth = (width - 1) / stride + 1;
        int inPerGroup = inChannels / groups;
        int outPerGroup = outChannels / groups;
        var output = new float[batch * outChannels * outHeight * outWidth];
        for (int n = 0; n < batch; n++)
            for (int oc = 0; oc < outChannels; oc++)
                for (int oy = 0; oy < outHeight; oy++)
                    for (int ox = 0; ox < outWidth; ox++)
                    {
                        double sum = bias[oc];
                        for (int i = 0; i < inPerGroup; i++)
                        {
                            int ic = oc / outPerGroup * inPerGroup + i;
                            for (int ky = 0; ky < 3; ky++)
                                for (int kx = 0; kx < 3; kx++)
                                {
                                    int y = oy * stride - 1 + ky;
                                    int x = ox * stride - 1 + kx;
                                    if (y < 0 || y >= height || x < 0 || x >= width)
                                        continue;
                                    sum += (double)input[((n * inChannels + ic) * height + y) * width + x]
                                        * weight[((oc * inPerGroup + i) * 3 + ky) * 3 + kx];
                                }
                        }
                        output[((n * outChannels + oc) * outHeight + oy) * outWidth + ox] = (float)Math.Max(sum, 0);
                    }
        return output;
    }
}
