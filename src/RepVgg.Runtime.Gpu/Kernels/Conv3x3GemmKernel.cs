using ILGPU;
using ILGPU.Runtime;
using RepVgg.Gpu.Weights;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// conv3x3 (padding 1, stride 1 or 2, any groups) + bias + ReLU as an implicit GEMM in float32, per group:
/// <c>out[m, n] = ReLU(bias[m] + sum_k W[k, m] * X[k, n])</c> with M = output channels of the group,
/// N = batch x output pixels and K = input channels of the group x 9 taps. X is never materialised: each
/// K x N tile is gathered from the NCHW input (zero outside the image: the padding).
/// </summary>
/// <remarks>
/// The GEMM is <see cref="TileGemm"/>'s, with 64 x 64 tiles (<see cref="Run"/>) or, for layers whose grid of them fills
/// the GPU, 128 x 128 tiles (<see cref="RunLarge"/>), over K tap-major (<see cref="Weights.TapQuadWeightLayout"/>). A
/// thread stages 4 consecutive k of column <see cref="GemmTile.LoadColumn"/> of the tile's W (one 16-byte load; a warp
/// reads 32 consecutive output channels' quads) and of its X: 4 input channels at one tap of its pixel's window, one
/// padding test and one address for the four (a warp reads 32 consecutive x of an input row at stride 1). The pixel a
/// thread gathers for is fixed for the whole K loop, so its image, row and column are decomposed once. Channel counts
/// and pixel counts need not be multiples of the tile: loads past the edges read zeros and stores past them are skipped.
/// </remarks>
internal static class Conv3x3GemmKernel
{
    /// <summary>Threads per group of both kernels.</summary>
    public const int Threads = TileGemm.Threads;

    /// <summary>The launch of <see cref="Run"/>: one group per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig Config(ConvShape shape, int groups) => GemmTile.Config(shape, groups, Threads, default(RegisterBlock4x4).Size);

    /// <summary>The launch of <see cref="RunLarge"/>: one group per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig LargeConfig(ConvShape shape, int groups) => GemmTile.Config(shape, groups, Threads, default(RegisterBlock8x8).Size);

    /// <summary>The layer with 64 x 64 tiles, launched with <see cref="Config"/>.</summary>
    /// <param name="input">N x InChannels x InHeight x InWidth.</param>
    /// <param name="weights">[group][quad of k][m = ocInGroup][4] (<see cref="Weights.TapQuadWeightLayout"/>), 16-byte aligned.</param>
    /// <param name="bias">OutChannels.</param>
    /// <param name="output">N x OutChannels x OutHeight x OutWidth.</param>
    /// <param name="shape">The layer's shapes for this batch.</param>
    public static void Run(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output, ConvShape shape) =>
        Multiply<RegisterBlock4x4>(input, weights, bias, output, shape);

    /// <summary>The layer with 128 x 128 tiles, launched with <see cref="LargeConfig"/>; parameters as <see cref="Run"/>'s.</summary>
    public static void RunLarge(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output, ConvShape shape) =>
        Multiply<RegisterBlock8x8>(input, weights, bias, output, shape);

    private static void Multiply<TBlock>(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output, ConvShape shape)
        where TBlock : struct, IRegisterBlock
    {
        var tile = new GemmTile(shape, Group.IdxX, default(TBlock).Size);
        TBlock sums = TileGemm.Accumulate<Operands, TBlock>(new Operands(tile, input, weights, shape), TapQuadWeightLayout.Reduction(shape.InPerGroup));
        TileGemm.Store(sums, new Output(tile, output, bias, shape));
    }

    /// <summary>The thread's column of W (a channel of its tile) and of X (a pixel's 3 x 3 windows), K tap-major.</summary>
    private readonly struct Operands : ITileOperands
    {
        private readonly InputGather<Nchw> _gather;
        private readonly ArrayView<float> _input;
        private readonly ArrayView<Line4> _quads;
        private readonly ConvShape _shape;
        private readonly bool _hasChannel;
        // Quads of K per group, and where the thread's channel's quad 0 lies.
        private readonly int _quadCount, _firstQuad;
        private readonly TapMajorK _k;

        public Operands(GemmTile tile, ArrayView<float> input, ArrayView<float> weights, ConvShape shape)
        {
            _gather = tile.Gather<Nchw>(shape, tile.LoadColumn);
            _input = input;
            _quads = weights.Cast<Line4>();
            _shape = shape;
            int channel = tile.FirstChannel + tile.LoadColumn;
            _hasChannel = channel < shape.OutPerGroup;
            _quadCount = TapQuadWeightLayout.Reduction(shape.InPerGroup) / TapQuadWeightLayout.QuadK;
            _firstQuad = tile.ConvGroup * _quadCount * shape.OutPerGroup + channel;
            _k = new TapMajorK(TapQuadWeightLayout.PaddedChannels(shape.InPerGroup));
        }

        /// <summary>W[k to k + 3, the thread's channel]: one quad; zero past K or M.</summary>
        public Line4 Weights(int k)
        {
            int quad = (int)((uint)k / TapQuadWeightLayout.QuadK);
            return _hasChannel && quad < _quadCount ? _quads[_firstQuad + quad * _shape.OutPerGroup] : default;
        }

        /// <summary>X[k to k + 3, the thread's pixel]: 4 input channels at one tap (taps 9 and past read zeros).</summary>
        public Line4 Inputs(int k)
        {
            int tap = _k.Tap(k);
            int channel = _k.Channel(k, tap);
            TapWindow window = _gather.AtTap(_shape, tap);
            return new Line4(
                InputGather<Nchw>.Load(_input, _shape, window, channel), InputGather<Nchw>.Load(_input, _shape, window, channel + 1),
                InputGather<Nchw>.Load(_input, _shape, window, channel + 2), InputGather<Nchw>.Load(_input, _shape, window, channel + 3));
        }
    }

    /// <summary>The tile's outputs: tile row r is the tile's channel r, tile column c its pixel c, with bias and ReLU.</summary>
    private readonly struct Output(GemmTile tile, ArrayView<float> output, ArrayView<float> bias, ConvShape shape) : ITileOutput
    {
        private readonly GemmTile _tile = tile;
        private readonly ArrayView<float> _output = output, _bias = bias;
        private readonly ConvShape _shape = shape;

        /// <remarks>
        /// Each output finds its place with its own division: kept per output on purpose, as the epilogue is a few percent
        /// of the kernel, and sharing the columns' places across the block's rows keeps them live in registers, which took
        /// the 128 x 128 kernel from 128 to 176 registers (one resident group per SM instead of two).
        /// </remarks>
        public void Store(int row, int column, Line4 sums)
        {
            int channel = _tile.FirstChannel + row, pixel = _tile.FirstPixel + column;
            ConvOutput.Store<Nchw>(_output, _bias, _shape, _tile.ConvGroup, channel, pixel, sums.A0);
            ConvOutput.Store<Nchw>(_output, _bias, _shape, _tile.ConvGroup, channel, pixel + 1, sums.A1);
            ConvOutput.Store<Nchw>(_output, _bias, _shape, _tile.ConvGroup, channel, pixel + 2, sums.A2);
            ConvOutput.Store<Nchw>(_output, _bias, _shape, _tile.ConvGroup, channel, pixel + 3, sums.A3);
        }
    }
}
