using ILGPU;
using ILGPU.Runtime;
using RepVgg.Manifest;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// conv3x3 + bias + ReLU for a layer with few input channels and no groups, the stem (1 or 3 channels in):
/// there K = 9 or 27, too short for <see cref="Conv3x3GemmKernel"/>'s 16-deep shared-memory steps to pay
/// off, so this is a direct convolution with the weights in shared memory.
/// </summary>
/// <remarks>
/// A group of 256 threads covers 256 output pixels x 16 output channels: thread t computes pixel t of the group's
/// (consecutive threads, consecutive pixels: coalesced loads, and coalesced NCHW stores) for all 16 channels, 16
/// accumulators in registers, so each input it reads feeds 16 multiply-adds, and the 16 weights of a tap are 4
/// 16-byte shared loads that every lane of a warp reads at the same address (a broadcast). Channels last, a thread
/// stores its pixel's 16 outputs 4 at a time, each one 16-byte (float32) or 8-byte (half) store where the layer's
/// channels are a multiple of 4. The group's 16 channels' weights, at most <see cref="MaxInputChannels"/> x 9 x 16
/// floats, are staged in shared memory once. (It computed 4 channels a thread until the H200 run had timed it at
/// 4.8 TFLOP/s, 0.58 ms for RepVGG-B1's stem at batch 64, against cuDNN's 0.49: 4 multiply-adds per input load and
/// 4 threads reading each input.)
/// </remarks>
internal static class StemConv3x3Kernel
{
    /// <summary>The most input channels this kernel takes; wider layers run <see cref="Conv3x3GemmKernel"/>.</summary>
    public const int MaxInputChannels = GpuKernels.StemMaxInputChannels;

    private const int Channels = 16;

    /// <summary>Threads per group, one per output pixel.</summary>
    public const int Threads = 256;

    /// <summary>Whether this kernel computes <paramref name="layer"/>.</summary>
    public static bool Handles(Conv3x3Layer layer) => layer.Algorithm == ConvAlgorithm.Direct && GpuKernels.IsStem(layer.InChannels, layer.Groups);

    /// <summary>The launch: one group per (256 pixels, 16 channels).</summary>
    public static KernelConfig Config(ConvShape shape) => new(
        new Index2D((shape.Pixels + Threads - 1) / Threads, (shape.OutChannels + Channels - 1) / Channels),
        new Index2D(Threads, 1));

    /// <param name="input">N x InChannels x InHeight x InWidth, laid out as <typeparamref name="TLayout"/> says (its order and format).</param>
    /// <param name="weights">[k = ic * 9 + ky * 3 + kx][oc], the one-group case of <see cref="Weights.StemWeightLayout"/>.</param>
    /// <param name="bias">OutChannels.</param>
    /// <param name="output">N x OutChannels x OutHeight x OutWidth, laid out as the input.</param>
    /// <param name="shape">The layer's shapes for this batch.</param>
    public static void Run<TLayout>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output, ConvShape shape)
        where TLayout : struct, IActivationLayout
    {
        var layout = default(TLayout);
        ArrayView<float> groupWeights = SharedMemory.Allocate<float>(MaxInputChannels * 9 * Channels); // [k][channel of the group]
        // A tap's 16 weights are 4 aligned lines: 4 16-byte shared loads.
        ArrayView<Line4> weightLines = groupWeights.Cast<Line4>();
        int thread = Group.IdxX;
        int firstChannel = Grid.IdxY * Channels;
        int reduction = shape.Reduction;
        for (int i = thread; i < reduction * Channels; i += Threads)
        {
            int k = i / Channels;
            int channel = firstChannel + i - k * Channels;
            groupWeights[i] = channel < shape.OutChannels ? weights[k * shape.OutChannels + channel] : 0f;
        }
        Group.Barrier();

        int pixel = Grid.IdxX * Threads + thread;
        if (pixel >= shape.Pixels)
            return;
        int image = pixel / shape.OutPlane;
        int pixelInImage = pixel - image * shape.OutPlane;
        int outY = pixelInImage / shape.OutWidth;
        int outX = pixelInImage - outY * shape.OutWidth;
        int top = outY * shape.Stride - 1;
        int left = outX * shape.Stride - 1;
        int inChannelStride = layout.ChannelStride(shape.InHeight, shape.InWidth);
        // Where the outputs go, made before the loop: only it lives through it, not image, row and column (with them,
        // ptxas 11.8 spilled a register on sm_90).
        int at = layout.PixelOffset(image, outY, outX, shape.OutChannels, shape.OutHeight, shape.OutWidth);

        Line4 sums0 = default, sums1 = default, sums2 = default, sums3 = default;
        for (int inChannel = 0; inChannel < shape.InChannels; inChannel++)
        {
            for (int ky = 0; ky < 3; ky++)
            {
                int y = top + ky;
                if (y < 0 || y >= shape.InHeight)
                    continue;
                for (int kx = 0; kx < 3; kx++)
                {
                    int x = left + kx;
                    if (x < 0 || x >= shape.InWidth)
                        continue;
                    float value = layout.Load(input, layout.PixelOffset(image, y, x, shape.InChannels, shape.InHeight, shape.InWidth) + inChannel * inChannelStride);
                    ArrayView<Line4> tap = weightLines.From((inChannel * 9 + ky * 3 + kx) * Channels / 4);
                    sums0 = sums0.MultiplyAdd(tap[0], value);
                    sums1 = sums1.MultiplyAdd(tap[1], value);
                    sums2 = sums2.MultiplyAdd(tap[2], value);
                    sums3 = sums3.MultiplyAdd(tap[3], value);
                }
            }
        }

        int outChannelStride = layout.ChannelStride(shape.OutHeight, shape.OutWidth);
        StoreFour<TLayout>(output, bias, shape, at, outChannelStride, firstChannel, sums0);
        StoreFour<TLayout>(output, bias, shape, at, outChannelStride, firstChannel + 4, sums1);
        StoreFour<TLayout>(output, bias, shape, at, outChannelStride, firstChannel + 8, sums2);
        StoreFour<TLayout>(output, bias, shape, at, outChannelStride, firstChannel + 12, sums3);
    }

    /// <summary>
    /// Output channels <paramref name="channel0"/> to + 3 of the pixel whose channel 0 lies at <paramref name="at"/>, with
    /// bias and ReLU, those the layer has. Side by side (channels last) and aligned (the layer's channels a multiple of
    /// 4), one store; else one per channel.
    /// </summary>
    private static void StoreFour<TLayout>(ArrayView<float> output, ArrayView<float> bias, ConvShape shape, int at, int channelStride, int channel0, Line4 sums)
        where TLayout : struct, IActivationLayout
    {
        if (channel0 >= shape.OutChannels)
            return;
        if (channelStride == 1 && shape.OutChannels % 4 == 0)
        {
            default(TLayout).StoreFour(output, at + channel0, new Line4(
                Relu(sums.A0 + bias[channel0], shape), Relu(sums.A1 + bias[channel0 + 1], shape),
                Relu(sums.A2 + bias[channel0 + 2], shape), Relu(sums.A3 + bias[channel0 + 3], shape)));
            return;
        }
        Store<TLayout>(output, bias, shape, at, channelStride, channel0, sums.A0);
        Store<TLayout>(output, bias, shape, at, channelStride, channel0 + 1, sums.A1);
        Store<TLayout>(output, bias, shape, at, channelStride, channel0 + 2, sums.A2);
        Store<TLayout>(output, bias, shape, at, channelStride, channel0 + 3, sums.A3);
    }

    /// <summary>Output <paramref name="channel"/> of the pixel whose channel 0 lies at <paramref name="at"/>, with bias and ReLU, if the layer has it.</summary>
    private static void Store<TLayout>(ArrayView<float> output, ArrayView<float> bias, ConvShape shape, int at, int channelStride, int channel, float sum)
        where TLayout : struct, IActivationLayout
    {
        if (channel >= shape.OutChannels)
            return;
        default(TLayout).Store(output, at + channel * channelStride, Relu(sum + bias[channel], shape));
    }

    /// <summary>ReLU, or nothing where a squeeze-and-excitation applies it (<see cref="ConvShape.ReluFloor"/>).</summary>
    private static float Relu(float value, ConvShape shape) => value > shape.ReluFloor ? value : shape.ReluFloor;
}
