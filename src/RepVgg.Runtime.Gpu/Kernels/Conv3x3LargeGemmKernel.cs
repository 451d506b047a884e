using ILGPU;
using ILGPU.Runtime;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// The float32 implicit-GEMM conv3x3 of <see cref="Conv3x3GemmKernel"/> (same operands, layouts and results) with
/// 128 x 128 tiles and 8 x 8 register blocks (<see cref="LargeTileGemm"/>), for layers whose grid of such tiles fills
/// the GPU: a thread does 64 multiply-adds per four 16-byte shared-memory loads, against 16 per eight 4-byte loads.
/// </summary>
internal static class Conv3x3LargeGemmKernel
{
    /// <summary>The launch: one group per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig Config(ConvShape shape, int groups) => GemmTile.Config(shape, groups, LargeTileGemm.Threads, LargeTileGemm.Size);

    /// <param name="input">N x InChannels x InHeight x InWidth.</param>
    /// <param name="weights">[group][k = icInGroup * 9 + ky * 3 + kx][m = ocInGroup] (<see cref="Weights.GemmWeightLayout"/>).</param>
    /// <param name="bias">OutChannels.</param>
    /// <param name="output">N x OutChannels x OutHeight x OutWidth.</param>
    /// <param name="shape">The layer's shapes for this batch.</param>
    public static void Run(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output, ConvShape shape)
    {
        ArrayView<float> weightSlices = SharedMemory.Allocate<float>(2 * LargeTileGemm.SliceFloats); // [slice][k][m]
        ArrayView<float> inputSlices = SharedMemory.Allocate<float>(2 * LargeTileGemm.SliceFloats); // [slice][k][n]

        int thread = Group.IdxX;
        var tile = new GemmTile(shape, thread, LargeTileGemm.Size);
        Accumulators8x8 sums = LargeTileGemm.Accumulate(new Operands(tile, input, weights, shape), shape.Reduction, weightSlices, inputSlices);

        int channel = tile.FirstChannel + 4 * LargeTileGemm.ThreadRow(thread);
        int pixel = tile.FirstPixel + 4 * LargeTileGemm.ThreadColumn(thread);
        var block = new OutputBlock(output, bias, shape, tile.ConvGroup, pixel);
        block.Store(channel, sums.Low0, sums.High0);
        block.Store(channel + 1, sums.Low1, sums.High1);
        block.Store(channel + 2, sums.Low2, sums.High2);
        block.Store(channel + 3, sums.Low3, sums.High3);
        block.Store(channel + 64, sums.Low4, sums.High4);
        block.Store(channel + 65, sums.Low5, sums.High5);
        block.Store(channel + 66, sums.Low6, sums.High6);
        block.Store(channel + 67, sums.Low7, sums.High7);
    }

    /// <summary>The thread's column of W (a channel of its tile) and of X (a pixel's 3 x 3 windows).</summary>
    private readonly struct Operands(GemmTile tile, ArrayView<float> input, ArrayView<float> weights, ConvShape shape) : ILargeTileOperands
    {
        private readonly GemmTile _tile = tile;
        private readonly ArrayView<float> _input = input, _weights = weights;
        private readonly ConvShape _shape = shape;

        public float Weight(int k) => _tile.LoadWeight(_weights, _shape, k);

        public float Input(int k) => _tile.Gather.Load(_input, _shape, k);
    }

    /// <summary>Where a thread's register block goes: one channel's two lines of 4 pixels (from <c>pixel</c> and <c>pixel + 64</c>) per call.</summary>
    private readonly struct OutputBlock(ArrayView<float> output, ArrayView<float> bias, ConvShape shape, int group, int pixel)
    {
        private readonly ArrayView<float> _output = output, _bias = bias;
        private readonly ConvShape _shape = shape;
        private readonly int _group = group, _pixel = pixel;

        public void Store(int channelInGroup, Line4 low, Line4 high)
        {
            Store(channelInGroup, _pixel, low);
            Store(channelInGroup, _pixel + 64, high);
        }

        private void Store(int channelInGroup, int pixel, Line4 sums)
        {
            ConvOutput.Store(_output, _bias, _shape, _group, channelInGroup, pixel, sums.A0);
            ConvOutput.Store(_output, _bias, _shape, _group, channelInGroup, pixel + 1, sums.A1);
            ConvOutput.Store(_output, _bias, _shape, _group, channelInGroup, pixel + 2, sums.A2);
            ConvOutput.Store(_output, _bias, _shape, _group, channelInGroup, pixel + 3, sums.A3);
        }
    }
}
