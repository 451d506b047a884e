using System.Runtime.Intrinsics;

namespace RepVgg.Cpu;

/// <summary>
/// Direct conv3x3 + bias + ReLU on <c>Vector512</c> for two blocks of 16 output channels at once,
/// where both read the same input channels (<see cref="OutputBlockSpans"/>): the second block's
/// packed weights follow the first's (<see cref="Conv3x3Row.BlockWeightFloats"/> on), its biases are
/// the next 16, its output one channel block on.
/// </summary>
/// <remarks>
/// Register blocking: 32 output channels x 7 consecutive output pixels, 14 accumulators. Per input
/// channel and tap two weight loads and 7 broadcasts feed 14 FMAs: 0.64 loads per FMA against the
/// one-block kernel's 1.14, so the two FMA ports, not the load ports, set the pace. 14 + 2 weights +
/// 1 broadcast = 17 of the 32 zmm registers. 7 pixels because 7 divides every RepVGG output width
/// at a 224 x 224 input.
/// </remarks>
internal readonly unsafe struct Conv3x3Vector512PairKernel : IConv3x3TileKernel
{
    /// <inheritdoc/>
    public static int TilePixels => 7;

    private const int Lanes = ChannelBlockedLayout.Lanes;

    /// <inheritdoc/>
    public static void ConvolveTile<TStride, TInput>(in Conv3x3Row row, int firstPixel)
        where TStride : struct, IConvStride
        where TInput : struct, IInputLayout
    {
        int step = TStride.Value * TInput.Lanes;
        long channelBlockFloats = row.InputChannelBlockFloats;
        long rowFloats = row.InputRowFloats;
        float* window = row.InputWindowTop + (long)firstPixel * step;
        float* weights = row.Weights;
        long secondWeights = row.BlockWeightFloats;

        float* outputA = row.Output + (long)firstPixel * Lanes, outputB = outputA + row.OutputChannelBlockFloats;
        Vector512<float> a0, a1, a2, a3, a4, a5, a6, b0, b1, b2, b3, b4, b5, b6;
        if (row.Accumulate)
        {
            a0 = Vector512.Load(outputA); a1 = Vector512.Load(outputA + Lanes); a2 = Vector512.Load(outputA + 2 * Lanes);
            a3 = Vector512.Load(outputA + 3 * Lanes); a4 = Vector512.Load(outputA + 4 * Lanes);
            a5 = Vector512.Load(outputA + 5 * Lanes); a6 = Vector512.Load(outputA + 6 * Lanes);
            b0 = Vector512.Load(outputB); b1 = Vector512.Load(outputB + Lanes); b2 = Vector512.Load(outputB + 2 * Lanes);
            b3 = Vector512.Load(outputB + 3 * Lanes); b4 = Vector512.Load(outputB + 4 * Lanes);
            b5 = Vector512.Load(outputB + 5 * Lanes); b6 = Vector512.Load(outputB + 6 * Lanes);
        }
        else
        {
            Vector512<float> biasA = Vector512.Load(row.Bias), biasB = Vector512.Load(row.Bias + Lanes);
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = biasA;
            b0 = b1 = b2 = b3 = b4 = b5 = b6 = biasB;
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
                    Vector512<float> wa = Vector512.Load(weights), wb = Vector512.Load(weights + secondWeights);
                    Vector512<float> x = Vector512.Create(input[0]);
                    a0 = Vector512.FusedMultiplyAdd(x, wa, a0);
                    b0 = Vector512.FusedMultiplyAdd(x, wb, b0);
                    x = Vector512.Create(input[step]);
                    a1 = Vector512.FusedMultiplyAdd(x, wa, a1);
                    b1 = Vector512.FusedMultiplyAdd(x, wb, b1);
                    x = Vector512.Create(input[2 * step]);
                    a2 = Vector512.FusedMultiplyAdd(x, wa, a2);
                    b2 = Vector512.FusedMultiplyAdd(x, wb, b2);
                    x = Vector512.Create(input[3 * step]);
                    a3 = Vector512.FusedMultiplyAdd(x, wa, a3);
                    b3 = Vector512.FusedMultiplyAdd(x, wb, b3);
                    x = Vector512.Create(input[4 * step]);
                    a4 = Vector512.FusedMultiplyAdd(x, wa, a4);
                    b4 = Vector512.FusedMultiplyAdd(x, wb, b4);
                    x = Vector512.Create(input[5 * step]);
                    a5 = Vector512.FusedMultiplyAdd(x, wa, a5);
                    b5 = Vector512.FusedMultiplyAdd(x, wb, b5);
                    x = Vector512.Create(input[6 * step]);
                    a6 = Vector512.FusedMultiplyAdd(x, wa, a6);
                    b6 = Vector512.FusedMultiplyAdd(x, wb, b6);
                }
            }
        }

        bool relu = row.Relu;
        Store(a0, outputA, relu); Store(b0, outputB, relu);
        Store(a1, outputA + Lanes, relu); Store(b1, outputB + Lanes, relu);
        Store(a2, outputA + 2 * Lanes, relu); Store(b2, outputB + 2 * Lanes, relu);
        Store(a3, outputA + 3 * Lanes, relu); Store(b3, outputB + 3 * Lanes, relu);
        Store(a4, outputA + 4 * Lanes, relu); Store(b4, outputB + 4 * Lanes, relu);
        Store(a5, outputA + 5 * Lanes, relu); Store(b5, outputB + 5 * Lanes, relu);
        Store(a6, outputA + 6 * Lanes, relu); Store(b6, outputB + 6 * Lanes, relu);
    }

    /// <inheritdoc/>
    public static void ConvolvePixel<TStride, TInput>(in Conv3x3Row row, int pixel)
        where TStride : struct, IConvStride
        where TInput : struct, IInputLayout
    {
        Conv3x3Vector512Kernel.ConvolvePixel<TStride, TInput>(row, pixel);
        Conv3x3Vector512Kernel.ConvolvePixel<TStride, TInput>(SecondBlock(row), pixel);
    }

    /// <summary>The same row for the second block alone.</summary>
    private static Conv3x3Row SecondBlock(in Conv3x3Row row) => new()
    {
        InputWindowTop = row.InputWindowTop,
        InputChannelBlockFloats = row.InputChannelBlockFloats,
        InputRowFloats = row.InputRowFloats,
        FirstInputChannel = row.FirstInputChannel,
        InputChannelCount = row.InputChannelCount,
        Weights = row.Weights + row.BlockWeightFloats,
        Bias = row.Bias + Lanes,
        Output = row.Output + row.OutputChannelBlockFloats,
        OutputWidth = row.OutputWidth,
        OutputChannelBlockFloats = row.OutputChannelBlockFloats,
        BlockWeightFloats = row.BlockWeightFloats,
        Accumulate = row.Accumulate,
        Relu = row.Relu,
    };

    private static void Store(Vector512<float> sum, float* output, bool relu) => Conv3x3Vector512Kernel.Store(sum, output, relu);
}
