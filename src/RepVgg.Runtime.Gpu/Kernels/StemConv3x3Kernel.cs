using ILGPU;
using ILGPU.Runtime;
using RepVgg.Compiler.Manifest;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// conv3x3 + bias + ReLU for a layer with few input channels and no groups, the stem (1 or 3 channels in):
/// there K = 9 or 27, too short for <see cref="Conv3x3GemmKernel"/>'s 16-deep shared-memory steps to pay
/// off, so this is a direct convolution with the weights in shared memory.
/// </summary>
/// <remarks>
/// A group of 256 threads covers 64 output pixels x 16 output channels: thread t computes pixel
/// <c>t % 64</c> (consecutive threads, consecutive pixels: coalesced loads and stores) for the 4 channels
/// <c>4 (t / 64) .. +3</c>, 4 accumulators in registers, each input read feeding 4 multiply-adds. The four
/// threads of one pixel read the same inputs, which the L1 cache serves. The group's 16 channels' weights,
/// at most <see cref="MaxInputChannels"/> x 9 x 16 floats, are staged in shared memory once.
/// </remarks>
internal static class StemConv3x3Kernel
{
    /// <summary>The most input channels this kernel takes; wider layers run <see cref="Conv3x3GemmKernel"/>.</summary>
    public const int MaxInputChannels = GpuKernels.StemMaxInputChannels;

    private const int Pixels = 64;
    private const int Channels = 16;
    private const int ChannelsPerThread = 4;
    public const int Threads = Pixels * Channels / ChannelsPerThread;

    /// <summary>Whether this kernel computes <paramref name="layer"/>.</summary>
    public static bool Handles(Conv3x3Layer layer) => layer.Algorithm == ConvAlgorithm.Direct && GpuKernels.IsStem(layer.InChannels, layer.Groups);

    /// <summary>The launch: one group per (64 pixels, 16 channels).</summary>
    public static KernelConfig Config(ConvShape shape) => new(
        new Index2D((shape.Pixels + Pixels - 1) / Pixels, (shape.OutChannels + Channels - 1) / Channels),
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
        // A thread's 4 channels of a k are one aligned line: one 16-byte shared load.
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

        int pixel = Grid.IdxX * Pixels + thread % Pixels;
        if (pixel >= shape.Pixels)
            return;
        int quad = thread / Pixels * ChannelsPerThread;
        int image = pixel / shape.OutPlane;
        int pixelInImage = pixel - image * shape.OutPlane;
        int outY = pixelInImage / shape.OutWidth;
        int outX = pixelInImage - outY * shape.OutWidth;
        int top = outY * shape.Stride - 1;
        int left = outX * shape.Stride - 1;
        int inChannelStride = layout.ChannelStride(shape.InHeight, shape.InWidth);

        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
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
                    Line4 w = weightLines[((inChannel * 9 + ky * 3 + kx) * Channels + quad) / 4];
                    s0 += w.A0 * value;
                    s1 += w.A1 * value;
                    s2 += w.A2 * value;
                    s3 += w.A3 * value;
                }
            }
        }

        int channel0 = firstChannel + quad;
        int at = layout.PixelOffset(image, outY, outX, shape.OutChannels, shape.OutHeight, shape.OutWidth);
        int outChannelStride = layout.ChannelStride(shape.OutHeight, shape.OutWidth);
        // Channels last, the 4 channels lie side by side: one store, aligned where the layer's channels are a multiple
        // of 4 (a warp's stores then fill 32 sectors with 16 or 8 bytes each, not 4 or 2).
        if (outChannelStride == 1 && shape.OutChannels % 4 == 0 && channel0 < shape.OutChannels)
        {
            layout.StoreFour(output, at + channel0, new Line4(
                Relu(s0 + bias[channel0]), Relu(s1 + bias[channel0 + 1]), Relu(s2 + bias[channel0 + 2]), Relu(s3 + bias[channel0 + 3])));
            return;
        }
        Store<TLayout>(output, bias, shape, at, outChannelStride, channel0, s0);
        Store<TLayout>(output, bias, shape, at, outChannelStride, channel0 + 1, s1);
        Store<TLayout>(output, bias, shape, at, outChannelStride, channel0 + 2, s2);
        Store<TLayout>(output, bias, shape, at, outChannelStride, channel0 + 3, s3);
    }

    /// <summary>Output <paramref name="channel"/> of the pixel whose channel 0 lies at <paramref name="at"/>, with bias and ReLU, if the layer has it.</summary>
    private static void Store<TLayout>(ArrayView<float> output, ArrayView<float> bias, ConvShape shape, int at, int channelStride, int channel, float sum)
        where TLayout : struct, IActivationLayout
    {
        if (channel >= shape.OutChannels)
            return;
        default(TLayout).Store(output, at + channel * channelStride, Relu(sum + bias[channel]));
    }

    private static float Relu(float value) => value > 0f ? value : 0f;
}
