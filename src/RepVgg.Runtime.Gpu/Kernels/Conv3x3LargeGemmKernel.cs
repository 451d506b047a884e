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
        var tile = new GemmTile(shape, Group.IdxX, LargeTileGemm.Size);
        Accumulators8x8 sums = LargeTileGemm.Accumulate(new Operands(tile, input, weights, shape), shape.Reduction);
        LargeTileGemm.Store(sums, new Output(tile, output, bias, shape));
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

    /// <summary>The tile's outputs: block row r is the tile's channel r, block column c its pixel c, with bias and ReLU.</summary>
    private readonly struct Output(GemmTile tile, ArrayView<float> output, ArrayView<float> bias, ConvShape shape) : ILargeTileOutput
    {
        private readonly GemmTile _tile = tile;
        private readonly ArrayView<float> _output = output, _bias = bias;
        private readonly ConvShape _shape = shape;

        public void Store(int row, int column, Line4 sums)
        {
            int channel = _tile.FirstChannel + row, pixel = _tile.FirstPixel + column;
            ConvOutput.Store(_output, _bias, _shape, _tile.ConvGroup, channel, pixel, sums.A0);
            ConvOutput.Store(_output, _bias, _shape, _tile.ConvGroup, channel, pixel + 1, sums.A1);
            ConvOutput.Store(_output, _bias, _shape, _tile.ConvGroup, channel, pixel + 2, sums.A2);
            ConvOutput.Store(_output, _bias, _shape, _tile.ConvGroup, channel, pixel + 3, sums.A3);
        }
    }
}
