using System.Runtime.Intrinsics;

namespace RepVgg.Cpu;

/// <summary>
/// Direct conv3x3 + bias + ReLU on <c>Vector512</c> (AVX-512): one output row of one block of
/// 16 output channels per call; a 16-lane block is exactly one vector.
/// </summary>
/// <remarks>
/// Register blocking: a tile is 16 output channels x 7 consecutive output pixels, 7 accumulators.
/// Per input channel and tap the kernel loads one weight vector, broadcasts the input value of each
/// of the 7 pixels and issues 7 FMAs; 7 independent FMA chains cover the FMA latency (4 cycles) at
/// the one 512-bit FMA per cycle of Zen 4 and most of it on two-port Intel cores. 7 rather than 8
/// because 7 divides every RepVGG output width at a 224 x 224 input (112, 56, 28, 14, 7), so no
/// row there needs an overlapping last tile or the one-pixel path.
/// </remarks>
internal readonly unsafe struct Conv3x3Vector512Kernel : IConv3x3TileKernel
{
    /// <inheritdoc/>
    public static int TilePixels => 7;

    private const int Lanes = ChannelBlockedLayout.Lanes;

    /// <inheritdoc/>
    public static void ConvolveTile<TStride, TInput>(in Conv3x3Row row, int firstPixel)
        where TStride : struct, IConvStride
        where TInput : struct, IInputLayout
    {
        // Floats between the inputs of neighbouring output pixels; a constant once TStride is known,
        // so the broadcasts below address with immediate displacements.
        int step = TStride.Value * TInput.Lanes;
        long channelBlockFloats = row.InputChannelBlockFloats;
        long rowFloats = row.InputRowFloats;
        float* window = row.InputWindowTop + (long)firstPixel * step;
        float* weights = row.Weights;

        float* output = row.Output + (long)firstPixel * Lanes;
        Vector512<float> sum0, sum1, sum2, sum3, sum4, sum5, sum6;
        if (row.Accumulate)
        {
            sum0 = Vector512.Load(output); sum1 = Vector512.Load(output + Lanes); sum2 = Vector512.Load(output + 2 * Lanes);
            sum3 = Vector512.Load(output + 3 * Lanes); sum4 = Vector512.Load(output + 4 * Lanes);
            sum5 = Vector512.Load(output + 5 * Lanes); sum6 = Vector512.Load(output + 6 * Lanes);
        }
        else
        {
            Vector512<float> bias = Vector512.Load(row.Bias);
            sum0 = sum1 = sum2 = sum3 = sum4 = sum5 = sum6 = bias;
        }

        int end = row.FirstInputChannel + row.InputChannelCount;
        for (int ic = row.FirstInputChannel; ic < end; ic++)
        {
            float* channel = window + (ic / TInput.Lanes) * channelBlockFloats + ic % TInput.Lanes;
            for (int ky = 0; ky < 3; ky++, channel += rowFloats)
            {
                float* input = channel;
                for (int kx = 0; kx < 3; kx++, input += TInput.Lanes, weights += Lanes)
                {
                    Vector512<float> weight = Vector512.Load(weights);
                    sum0 = Vector512.FusedMultiplyAdd(Vector512.Create(input[0]), weight, sum0);
                    sum1 = Vector512.FusedMultiplyAdd(Vector512.Create(input[step]), weight, sum1);
                    sum2 = Vector512.FusedMultiplyAdd(Vector512.Create(input[2 * step]), weight, sum2);
                    sum3 = Vector512.FusedMultiplyAdd(Vector512.Create(input[3 * step]), weight, sum3);
                    sum4 = Vector512.FusedMultiplyAdd(Vector512.Create(input[4 * step]), weight, sum4);
                    sum5 = Vector512.FusedMultiplyAdd(Vector512.Create(input[5 * step]), weight, sum5);
                    sum6 = Vector512.FusedMultiplyAdd(Vector512.Create(input[6 * step]), weight, sum6);
                }
            }
        }

        bool relu = row.Relu;
        Store(sum0, output, relu);
        Store(sum1, output + Lanes, relu);
        Store(sum2, output + 2 * Lanes, relu);
        Store(sum3, output + 3 * Lanes, relu);
        Store(sum4, output + 4 * Lanes, relu);
        Store(sum5, output + 5 * Lanes, relu);
        Store(sum6, output + 6 * Lanes, relu);
    }

    /// <inheritdoc/>
    public static void ConvolvePixel<TStride, TInput>(in Conv3x3Row row, int pixel)
        where TStride : struct, IConvStride
        where TInput : struct, IInputLayout
    {
        float* window = row.InputWindowTop + (long)pixel * TStride.Value * TInput.Lanes;
        float* weights = row.Weights;
        float* output = row.Output + (long)pixel * Lanes;
        Vector512<float> sum = Vector512.Load(row.Accumulate ? output : row.Bias);

        int end = row.FirstInputChannel + row.InputChannelCount;
        for (int ic = row.FirstInputChannel; ic < end; ic++)
        {
            float* channel = window + (ic / TInput.Lanes) * row.InputChannelBlockFloats + ic % TInput.Lanes;
            for (int ky = 0; ky < 3; ky++, channel += row.InputRowFloats)
            {
                for (int kx = 0; kx < 3; kx++, weights += Lanes)
                    sum = Vector512.FusedMultiplyAdd(Vector512.Create(channel[kx * TInput.Lanes]), Vector512.Load(weights), sum);
            }
        }

        Store(sum, output, row.Relu);
    }

    /// <summary>Stores 16 sums, after ReLU when <paramref name="relu"/>.</summary>
    internal static void Store(Vector512<float> sum, float* output, bool relu) =>
        (relu ? Vector512.Max(sum, Vector512<float>.Zero) : sum).Store(output);
}
