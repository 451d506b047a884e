using ILGPU;
using RepVgg.Gpu.Kernels;

namespace RepVgg.Gpu.Winograd;

/// <summary>
/// The Winograd layer's batched GEMM: for each transformed point and each group, the products
/// <c>M[point][oc][tile] = sum over k of U[point][k][oc] * V[point][group's first ic + k][tile]</c>,
/// M = output channels per group, N = tiles, K = input channels per group: <see cref="TileGemm"/>'s GEMM with 64 x 64
/// tiles (<see cref="Multiply"/>) or, for layers with enough tiles to fill the device with them, 128 x 128
/// (<see cref="MultiplyLarge"/>). Grid: (tiles of N, tiles of M, points x groups).
/// </summary>
/// <remarks>
/// The weights are <c>U[point][k][oc]</c> (<see cref="GpuWinogradWeights"/>) and the inputs <c>V[point][ic][tile]</c>,
/// so each staged row of a tile is one contiguous run in memory. A tile never spans two groups, so its rows all read
/// the same input channels; groups narrower than the tile leave rows of it idle. Loads past K, M or N read as zero and
/// outputs past M or N are not stored, so no size needs padding.
/// </remarks>
internal static class WinogradGemmKernel
{
    /// <summary>Threads per group of both kernels.</summary>
    public const int Threads = TileGemm.Threads;

    /// <summary>The grid and group of <see cref="Multiply"/> for <paramref name="shape"/>.</summary>
    public static KernelConfig Config(WinogradShape shape) => Config(shape, default(RegisterBlock4x4).Size);

    /// <summary>The grid and group of <see cref="MultiplyLarge"/> for <paramref name="shape"/>.</summary>
    public static KernelConfig LargeConfig(WinogradShape shape) => Config(shape, default(RegisterBlock8x8).Size);

    private static KernelConfig Config(WinogradShape shape, int size) => new(
        new Index3D((shape.Tiles + size - 1) / size, (shape.OutPerGroup + size - 1) / size, shape.Points * shape.Groups),
        new Index3D(Threads, 1, 1));

    /// <summary>One 64 x 64 tile of the products of one (point, group); launched with <see cref="Config"/>.</summary>
    public static void Multiply(ArrayView<float> weights, ArrayView<float> transformed, ArrayView<float> products, WinogradShape shape) =>
        MultiplyTile<RegisterBlock4x4>(weights, transformed, products, shape);

    /// <summary>One 128 x 128 tile of the products of one (point, group); launched with <see cref="LargeConfig"/>.</summary>
    public static void MultiplyLarge(ArrayView<float> weights, ArrayView<float> transformed, ArrayView<float> products, WinogradShape shape) =>
        MultiplyTile<RegisterBlock8x8>(weights, transformed, products, shape);

    private static void MultiplyTile<TBlock>(ArrayView<float> weights, ArrayView<float> transformed, ArrayView<float> products, WinogradShape shape)
        where TBlock : struct, IRegisterBlock
    {
        int size = default(TBlock).Size;
        int firstTile = Grid.IdxX * size;
        int firstOut = Grid.IdxY * size;
        int point = Grid.IdxZ / shape.Groups, group = Grid.IdxZ % shape.Groups;
        var operands = new Operands(weights, transformed, shape, point, group, firstOut, firstTile, TileGemm.LoadColumn<TBlock>(Group.IdxX));
        TBlock sums = TileGemm.Accumulate<Operands, TBlock>(operands, shape.InPerGroup);
        TileGemm.Store(sums, new Products(products, shape, point * shape.OutChannels + group * shape.OutPerGroup, firstOut, firstTile));
    }

    /// <summary>
    /// What a thread stages: column <c>loadColumn</c> of the tile's U (an output channel) and of its V (a Winograd tile),
    /// both rows of one contiguous run per k.
    /// </summary>
    private readonly struct Operands : ITileOperands
    {
        private readonly ArrayView<float> _weights, _transformed;
        private readonly int _depth, _weightStart, _weightStride, _inputStart, _inputStride;
        private readonly bool _hasChannel, _hasTile;

        public Operands(ArrayView<float> weights, ArrayView<float> transformed, WinogradShape shape, int point, int group, int firstOut, int firstTile, int loadColumn)
        {
            _weights = weights;
            _transformed = transformed;
            _depth = shape.InPerGroup;
            _hasChannel = firstOut + loadColumn < shape.OutPerGroup;
            _hasTile = firstTile + loadColumn < shape.Tiles;
            // U[point][k][group's first oc + channel] and V[point][group's first ic + k][tile].
            _weightStart = point * _depth * shape.OutChannels + group * shape.OutPerGroup + firstOut + loadColumn;
            _weightStride = shape.OutChannels;
            _inputStart = (point * shape.InChannels + group * _depth) * shape.Tiles + firstTile + loadColumn;
            _inputStride = shape.Tiles;
        }

        public Line4 Weights(int k) => new(Weight(k), Weight(k + 1), Weight(k + 2), Weight(k + 3));

        public Line4 Inputs(int k) => new(Input(k), Input(k + 1), Input(k + 2), Input(k + 3));

        private float Weight(int k) => _hasChannel && k < _depth ? _weights[_weightStart + k * _weightStride] : 0f;

        private float Input(int k) => _hasTile && k < _depth ? _transformed[_inputStart + k * _inputStride] : 0f;
    }

    /// <summary>
    /// Where a tile goes: tile row r is M row <c>firstRow + firstOut + r</c> (point x OC + the group's first oc + oc), tile
    /// column c is Winograd tile <c>firstTile + c</c>.
    /// </summary>
    private readonly struct Products(ArrayView<float> products, WinogradShape shape, int firstRow, int firstOut, int firstTile) : ITileOutput
    {
        private readonly ArrayView<float> _products = products;
        private readonly WinogradShape _shape = shape;
        private readonly int _firstRow = firstRow, _firstOut = firstOut, _firstTile = firstTile;

        /// <summary>Four outputs of M row firstRow + firstOut + row, from tile firstTile + column; skipped past the group's channels or the batch's tiles.</summary>
        public void Store(int row, int column, Line4 sums)
        {
            if (_firstOut + row >= _shape.OutPerGroup)
                return;
            int tile = _firstTile + column;
            int start = (_firstRow + _firstOut + row) * _shape.Tiles + tile;
            if (tile < _shape.Tiles) _products[start] = sums.A0;
            if (tile + 1 < _shape.Tiles) _products[start + 1] = sums.A1;
            if (tile + 2 < _shape.Tiles) _products[start + 2] = sums.A2;
            if (tile + 3 < _shape.Tiles) _products[start + 3] = sums.A3;
        }
    }
}
