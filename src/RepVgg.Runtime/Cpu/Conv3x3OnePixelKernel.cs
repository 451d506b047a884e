namespace RepVgg.Cpu;

/// <summary>
/// Direct conv3x3 + bias + ReLU in registers of any width, one output pixel x 16 output channels
/// at a time: the Vector128 kernel (Arm64's AdvSimd, SSE) and the scalar one, which the wider
/// kernels are tested against.
/// </summary>
internal readonly unsafe struct Conv3x3OnePixelKernel<TLanes> : IConv3x3TileKernel
    where TLanes : struct, ILanes<TLanes>
{
    private const int Lanes = ChannelBlockedLayout.Lanes;

    /// <inheritdoc/>
    public static int TilePixels => 1;

    /// <inheritdoc/>
    public static void ConvolveTile<TStride, TInput>(in Conv3x3Row row, int firstPixel)
        where TStride : struct, IConvStride
        where TInput : struct, IInputLayout =>
        ConvolvePixel<TStride, TInput>(row, firstPixel);

    /// <inheritdoc/>
    public static void ConvolvePixel<TStride, TInput>(in Conv3x3Row row, int pixel)
        where TStride : struct, IConvStride
        where TInput : struct, IInputLayout
    {
        float* window = row.InputWindowTop + (long)pixel * TStride.Value * TInput.Lanes;
        float* weights = row.Weights;
        float* output = row.Output + (long)pixel * Lanes;
        var sum = Block16<TLanes>.Load(row.Accumulate ? output : row.Bias);

        int end = row.FirstInputChannel + row.InputChannelCount;
        for (int ic = row.FirstInputChannel; ic < end; ic++)
        {
            float* channel = window + (ic / TInput.Lanes) * row.InputChannelBlockFloats + ic % TInput.Lanes;
            for (int ky = 0; ky < 3; ky++, channel += row.InputRowFloats)
            {
                for (int kx = 0; kx < 3; kx++, weights += Lanes)
                    sum.MultiplyAdd(TLanes.Broadcast(channel[kx * TInput.Lanes]), weights);
            }
        }

        if (row.Relu)
            sum.StoreRelu(output);
        else
            sum.Store(output);
    }
}
