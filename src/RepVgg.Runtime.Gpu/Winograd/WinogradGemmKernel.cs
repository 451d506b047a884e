using ILGPU;
using RepVgg.Gpu.Kernels;

namespace RepVgg.Gpu.Winograd;

/// <summary>
/// The Winograd layer's batched GEMM: for each transformed point and each group, the products
/// <c>M[point][oc][tile] = sum over k of U[point][k][oc] * V[point][group's first ic + k][tile]</c>,
/// M = output channels per group, N = tiles, K = input channels per group. <see cref="Multiply"/> computes it in
/// 64 x 64 blocks (below); <see cref="MultiplyLarge"/> in 128 x 128 blocks with 8 x 8 register blocks
/// (<see cref="LargeTileGemm"/>), for layers with enough tiles to fill the device with them.
/// </summary>
/// <remarks>
/// <para>
/// Tiling. A group of <see cref="Threads"/> threads computes one <see cref="TileM"/> x <see cref="TileN"/>
/// block of one (point, group)'s product matrix: grid (ceil(T / 64), ceil(OC per group / 64), points x
/// groups). It walks K in steps of <see cref="TileK"/>: the group stages a 8 x 64 slice of the weights and
/// a 8 x 64 slice of the transformed inputs in shared memory (2 x 2 KB), each thread loading two floats
/// of each, then every thread multiplies its register block of 4 x 4 outputs out of shared memory: per k,
/// 8 shared loads feed 16 multiply-adds. A block never spans two groups, so its rows all read the same
/// input channels; groups narrower than 64 output channels leave rows of the block idle.
/// </para>
/// <para>
/// Thread (r, c) = (thread / 16, thread % 16) owns rows r, r + 16, r + 32, r + 48 and columns c, c + 16,
/// c + 32, c + 48 of the block: the 16 threads of a half-warp read 16 consecutive floats of a staged
/// input row (no bank conflicts), one weight float each (a broadcast), and store 16 consecutive tiles of
/// an output channel (coalesced).
/// </para>
/// <para>
/// Coalescing. The weights are <c>U[point][k][oc]</c> (<see cref="GpuWinogradWeights"/>) and the inputs
/// <c>V[point][ic][tile]</c>, so each staged row of 64 floats is one contiguous run in memory. Loads past
/// K, M or N read as zero and outputs past M or N are not stored, so no size needs padding.
/// </para>
/// </remarks>
internal static class WinogradGemmKernel
{
    /// <summary>Output channels per block.</summary>
    public const int TileM = 64;

    /// <summary>Tiles per block.</summary>
    public const int TileN = 64;

    /// <summary>Input channels staged per step.</summary>
    public const int TileK = 8;

    /// <summary>Threads per group: 16 x 16, each with a 4 x 4 register block.</summary>
    public const int Threads = 256;

    private const int ThreadColumns = 16;

    /// <summary>The grid and group of <see cref="Multiply"/> for <paramref name="shape"/>.</summary>
    public static KernelConfig Config(WinogradShape shape) => Config(shape, TileM, Threads);

    /// <summary>The grid and group of <see cref="MultiplyLarge"/> for <paramref name="shape"/>.</summary>
    public static KernelConfig LargeConfig(WinogradShape shape) => Config(shape, LargeTileGemm.Size, LargeTileGemm.Threads);

    private static KernelConfig Config(WinogradShape shape, int size, int threads) => new(
        new Index3D((shape.Tiles + size - 1) / size, (shape.OutPerGroup + size - 1) / size, shape.Points * shape.Groups),
        new Index3D(threads, 1, 1));

    /// <summary>One 64 x 64 block of the products of one (point, group); launched with <see cref="Config"/>.</summary>
    public static void Multiply(ArrayView<float> weights, ArrayView<float> transformed, ArrayView<float> products, WinogradShape shape)
    {
        // Staged slices, [k][m] and [k][n].
        ArrayView<float> stagedWeights = SharedMemory.Allocate<float>(TileK * TileM);
        ArrayView<float> stagedInputs = SharedMemory.Allocate<float>(TileK * TileN);

        int thread = Group.IdxX;
        int row = thread / ThreadColumns, column = thread % ThreadColumns;
        int firstTile = Grid.IdxX * TileN;
        int firstOut = Grid.IdxY * TileM;
        int point = Grid.IdxZ / shape.Groups, group = Grid.IdxZ % shape.Groups;
        int depth = shape.InPerGroup;

        // Where this (point, group) starts: U[point][0][group's first oc], V[point][group's first ic][0].
        int weightStart = point * depth * shape.OutChannels + group * shape.OutPerGroup;
        int inputStart = (point * shape.InChannels + group * depth) * shape.Tiles;

        // The 4 x 4 register block, one Line4 per owned row (its four owned columns).
        Line4 sum0 = default, sum1 = default, sum2 = default, sum3 = default;
        for (int k0 = 0; k0 < depth; k0 += TileK)
        {
            for (int e = thread; e < TileK * TileM; e += Threads)
            {
                int k = k0 + e / TileM, outChannel = firstOut + e % TileM;
                stagedWeights[e] = k < depth && outChannel < shape.OutPerGroup
                    ? weights[weightStart + k * shape.OutChannels + outChannel] : 0f;
            }
            for (int e = thread; e < TileK * TileN; e += Threads)
            {
                int k = k0 + e / TileN, tile = firstTile + e % TileN;
                stagedInputs[e] = k < depth && tile < shape.Tiles ? transformed[inputStart + k * shape.Tiles + tile] : 0f;
            }
            Group.Barrier();

            for (int k = 0; k < TileK; k++)
            {
                int weightRow = k * TileM + row, inputRow = k * TileN + column;
                var inputs = new Line4(stagedInputs[inputRow], stagedInputs[inputRow + 16], stagedInputs[inputRow + 32], stagedInputs[inputRow + 48]);
                sum0 = sum0.MultiplyAdd(inputs, stagedWeights[weightRow]);
                sum1 = sum1.MultiplyAdd(inputs, stagedWeights[weightRow + 16]);
                sum2 = sum2.MultiplyAdd(inputs, stagedWeights[weightRow + 32]);
                sum3 = sum3.MultiplyAdd(inputs, stagedWeights[weightRow + 48]);
            }
            // The next step overwrites the staged slices.
            Group.Barrier();
        }

        int outStart = point * shape.OutChannels + group * shape.OutPerGroup + firstOut + row;
        int tile0 = firstTile + column;
        StoreRow(products, outStart, firstOut + row, tile0, sum0, shape, spacing: 16);
        StoreRow(products, outStart + 16, firstOut + row + 16, tile0, sum1, shape, spacing: 16);
        StoreRow(products, outStart + 32, firstOut + row + 32, tile0, sum2, shape, spacing: 16);
        StoreRow(products, outStart + 48, firstOut + row + 48, tile0, sum3, shape, spacing: 16);
    }

    /// <summary>
    /// One 128 x 128 block of the products of one (point, group), with 8 x 8 register blocks (<see cref="LargeTileGemm"/>);
    /// launched with <see cref="LargeConfig"/>. The same products as <see cref="Multiply"/>, for layers with enough tiles.
    /// </summary>
    public static void MultiplyLarge(ArrayView<float> weights, ArrayView<float> transformed, ArrayView<float> products, WinogradShape shape)
    {
        int firstTile = Grid.IdxX * LargeTileGemm.Size;
        int firstOut = Grid.IdxY * LargeTileGemm.Size;
        int point = Grid.IdxZ / shape.Groups, group = Grid.IdxZ % shape.Groups;
        var operands = new LargeOperands(weights, transformed, shape, point, group, firstOut, firstTile, LargeTileGemm.LoadColumn(Group.IdxX));
        Accumulators8x8 sums = LargeTileGemm.Accumulate(operands, shape.InPerGroup);
        LargeTileGemm.Store(sums, new LargeProducts(products, shape, point * shape.OutChannels + group * shape.OutPerGroup, firstOut, firstTile));
    }

    /// <summary>
    /// What a thread of <see cref="MultiplyLarge"/> stages: column <c>loadColumn</c> of the block's U (an output channel)
    /// and of its V (a tile), both rows of one contiguous run per k.
    /// </summary>
    private readonly struct LargeOperands : ILargeTileOperands
    {
        private readonly ArrayView<float> _weights, _transformed;
        private readonly int _depth, _weightStart, _weightStride, _inputStart, _inputStride;
        private readonly bool _hasChannel, _hasTile;

        public LargeOperands(ArrayView<float> weights, ArrayView<float> transformed, WinogradShape shape, int point, int group, int firstOut, int firstTile, int loadColumn)
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

        public float Weight(int k) => _hasChannel && k < _depth ? _weights[_weightStart + k * _weightStride] : 0f;

        public float Input(int k) => _hasTile && k < _depth ? _transformed[_inputStart + k * _inputStride] : 0f;
    }

    /// <summary>
    /// Where <see cref="MultiplyLarge"/>'s block goes: block row r is M row <c>firstRow + firstOut + r</c> (point x OC + the
    /// group's first oc + oc), block column c is tile <c>firstTile + c</c>.
    /// </summary>
    private readonly struct LargeProducts(ArrayView<float> products, WinogradShape shape, int firstRow, int firstOut, int firstTile) : ILargeTileOutput
    {
        private readonly ArrayView<float> _products = products;
        private readonly WinogradShape _shape = shape;
        private readonly int _firstRow = firstRow, _firstOut = firstOut, _firstTile = firstTile;

        public void Store(int row, int column, Line4 sums) =>
            StoreRow(_products, _firstRow + _firstOut + row, _firstOut + row, _firstTile + column, sums, _shape, spacing: 1);
    }

    /// <summary>
    /// Four outputs of one row of a register block: M row <paramref name="productRow"/> (point x OC + oc), tiles
    /// <paramref name="tile"/> and <paramref name="spacing"/>, 2 and 3 spacings past it; skipped past the group's
    /// channels or the batch's tiles.
    /// </summary>
    private static void StoreRow(ArrayView<float> products, int productRow, int outInGroup, int tile, Line4 sums, WinogradShape shape, int spacing)
    {
        if (outInGroup >= shape.OutPerGroup)
            return;
        int start = productRow * shape.Tiles + tile;
        if (tile < shape.Tiles) products[start] = sums.A0;
        if (tile + spacing < shape.Tiles) products[start + spacing] = sums.A1;
        if (tile + 2 * spacing < shape.Tiles) products[start + 2 * spacing] = sums.A2;
        if (tile + 3 * spacing < shape.Tiles) products[start + 3 * spacing] = sums.A3;
    }
}
