using System.Runtime.Intrinsics;

namespace RepVgg.Cpu;

/// <summary>
/// Direct conv3x3 + bias + ReLU on <c>Vector256</c> (AVX2 + FMA): one output row of one block of
/// 16 output channels per call. Each 16-lane block is two vectors, low (lanes 0-7) and high (8-15).
/// </summary>
/// <remarks>
/// Register blocking: a tile is 16 output channels x 6 consecutive output pixels, 12 accumulators.
/// Per input channel and tap the kernel loads one 16-lane weight row (2 vectors), broadcasts the
/// input value of each of the 6 pixels, and issues 12 FMAs: 8 loads per 12 FMAs, within the two
/// load ports, and 12 independent FMA chains, enough to cover FMA latency (4-5 cycles) at two FMAs
/// per cycle. 12 accumulators + 2 weights + 1 broadcast = 15 of the 16 ymm registers; 7 pixels
/// would spill.
/// </remarks>
internal readonly unsafe struct Conv3x3Vector256Kernel : IConv3x3TileKernel
{
    /// <inheritdoc/>
    public static int TilePixels => 6;

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
        Vector256<float> low0, low1, low2, low3, low4, low5, high0, high1, high2, high3, high4, high5;
        if (row.Accumulate)
        {
            low0 = Vector256.Load(output); high0 = Vector256.Load(output + 8);
            low1 = Vector256.Load(output + Lanes); high1 = Vector256.Load(output + Lanes + 8);
            low2 = Vector256.Load(output + 2 * Lanes); high2 = Vector256.Load(output + 2 * Lanes + 8);
            low3 = Vector256.Load(output + 3 * Lanes); high3 = Vector256.Load(output + 3 * Lanes + 8);
            low4 = Vector256.Load(output + 4 * Lanes); high4 = Vector256.Load(output + 4 * Lanes + 8);
            low5 = Vector256.Load(output + 5 * Lanes); high5 = Vector256.Load(output + 5 * Lanes + 8);
        }
        else
        {
            Vector256<float> biasLow = Vector256.Load(row.Bias), biasHigh = Vector256.Load(row.Bias + 8);
            low0 = low1 = low2 = low3 = low4 = low5 = biasLow;
            high0 = high1 = high2 = high3 = high4 = high5 = biasHigh;
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
                    Vector256<float> weightLow = Vector256.Load(weights), weightHigh = Vector256.Load(weights + 8);
                    Vector256<float> x = Vector256.Create(input[0]);
                    low0 = Vector256.FusedMultiplyAdd(x, weightLow, low0);
                    high0 = Vector256.FusedMultiplyAdd(x, weightHigh, high0);
                    x = Vector256.Create(input[step]);
                    low1 = Vector256.FusedMultiplyAdd(x, weightLow, low1);
                    high1 = Vector256.FusedMultiplyAdd(x, weightHigh, high1);
                    x = Vector256.Create(input[2 * step]);
                    low2 = Vector256.FusedMultiplyAdd(x, weightLow, low2);
                    high2 = Vector256.FusedMultiplyAdd(x, weightHigh, high2);
                    x = Vector256.Create(input[3 * step]);
                    low3 = Vector256.FusedMultiplyAdd(x, weightLow, low3);
                    high3 = Vector256.FusedMultiplyAdd(x, weightHigh, high3);
                    x = Vector256.Create(input[4 * step]);
                    low4 = Vector256.FusedMultiplyAdd(x, weightLow, low4);
                    high4 = Vector256.FusedMultiplyAdd(x, weightHigh, high4);
                    x = Vector256.Create(input[5 * step]);
                    low5 = Vector256.FusedMultiplyAdd(x, weightLow, low5);
                    high5 = Vector256.FusedMultiplyAdd(x, weightHigh, high5);
                }
            }
        }

        bool relu = row.Relu;
        Store(low0, high0, output, relu);
        Store(low1, high1, output + Lanes, relu);
        Store(low2, high2, output + 2 * Lanes, relu);
        Store(low3, high3, output + 3 * Lanes, relu);
        Store(low4, high4, output + 4 * Lanes, relu);
        Store(low5, high5, output + 5 * Lanes, relu);
    }

    /// <inheritdoc/>
    public static void ConvolvePixel<TStride, TInput>(in Conv3x3Row row, int pixel)
        where TStride : struct, IConvStride
        where TInput : struct, IInputLayout
    {
        float* window = row.InputWindowTop + (long)pixel * TStride.Value * TInput.Lanes;
        float* weights = row.Weights;
        float* output = row.Output + (long)pixel * Lanes;
        float* start = row.Accumulate ? output : row.Bias;
        Vector256<float> low = Vector256.Load(start), high = Vector256.Load(start + 8);

        int end = row.FirstInputChannel + row.InputChannelCount;
        for (int ic = row.FirstInputChannel; ic < end; ic++)
        {
            float* channel = window + (ic / TInput.Lanes) * row.InputChannelBlockFloats + ic % TInput.Lanes;
            for (int ky = 0; ky < 3; ky++, channel += row.InputRowFloats)
            {
                for (int kx = 0; kx < 3; kx++, weights += Lanes)
                {
                    Vector256<float> x = Vector256.Create(channel[kx * TInput.Lanes]);
                    low = Vector256.FusedMultiplyAdd(x, Vector256.Load(weights), low);
                    high = Vector256.FusedMultiplyAdd(x, Vector256.Load(weights + 8), high);
                }
            }
        }

        Store(low, high, output, row.Relu);
    }

    /// <summary>Stores 16 sums, after ReLU when <paramref name="relu"/>.</summary>
    private static void Store(Vector256<float> low, Vector256<float> high, float* output, bool relu)
    {
        (relu ? Vector256.Max(low, Vector256<float>.Zero) : low).Store(output);
        (relu ? Vector256.Max(high, Vector256<float>.Zero) : high).Store(output + 8);
    }
}
