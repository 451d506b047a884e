namespace RepVgg.Testing;

/// <summary>
/// The float64 scalar reference for one fused layer, conv3x3 (padding 1) + bias + ReLU, that the CPU and GPU
/// kernels are checked against: NCHW activations, PyTorch's weight layout (outChannels, inChannels / groups, 3, 3).
/// </summary>
public static class Conv3x3Reference
{
    /// <summary>(batch, outChannels, outHeight, outWidth) from <paramref name="input"/>, (batch, inChannels, height, width).</summary>
    public static double[] Run(float[] input, int batch, int inChannels, int height, int width,
        float[] oihw, float[] bias, int outChannels, int groups, int stride)
    {
        int outHeight = (height - 1) / stride + 1, outWidth = (width - 1) / stride + 1;
        int inPerGroup = inChannels / groups, outPerGroup = outChannels / groups;
        var output = new double[batch * outChannels * outHeight * outWidth];
        for (int n = 0; n < batch; n++)
        for (int oc = 0; oc < outChannels; oc++)
        for (int oy = 0; oy < outHeight; oy++)
        for (int ox = 0; ox < outWidth; ox++)
        {
            double sum = bias[oc];
            for (int icInGroup = 0; icInGroup < inPerGroup; icInGroup++)
            {
                int ic = oc / outPerGroup * inPerGroup + icInGroup;
                for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++)
                {
                    int y = oy * stride + ky - 1, x = ox * stride + kx - 1;
                    if (y < 0 || y >= height || x < 0 || x >= width) continue;
                    sum += (double)oihw[((oc * inPerGroup + icInGroup) * 3 + ky) * 3 + kx] * input[((n * inChannels + ic) * height + y) * width + x];
                }
            }
            output[((n * outChannels + oc) * outHeight + oy) * outWidth + ox] = Math.Max(sum, 0);
        }
        return output;
    }
}
