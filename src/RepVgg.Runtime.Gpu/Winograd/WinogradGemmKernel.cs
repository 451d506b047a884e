using ILGPU;

namespace RepVgg.Gpu.Winograd;

/// <summary>
/// The Winograd layer's batched GEMM: for each transformed point and each group, the products
/// <c>M[point][oc][tile] = sum over k of U[point][k][oc] * V[point][group's first ic + k][tile]</c>,
/// M = output channels per group, N = tiles, K = input channels per group.
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

    /// <summary>The grid and group for <paramref name="shape"/>.</summary>
    public static KernelConfig Config(WinogradShape shape) => new(
        new Index3D((shape.Tiles + TileN - 1) / TileN, (shape.OutPerGroup + TileM - 1) / TileM, shape.Points * shape.Groups),
        new Index3D(Threads, 1, 1));

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
        StoreRow(products, outStart, firstOut + row, tile0, sum0, shape);
        StoreRow(products, outStart + 16, firstOut + row + 16, tile0, sum1, shape);
        StoreRow(products, outStart + 32, firstOut + row + 32, tile0, sum2, shape);
        StoreRow(products, outStart + 48, firstOut + row + 48, tile0, sum3, shape);
    }

    /// <summary>
    /// One owned row of the register block: M row <paramref name="productRow"/> (point x OC + oc), tiles
    /// <paramref name="tile"/>, + 16, + 32, + 48; skipped past the group's channels or the batch's tiles.
    /// </summary>
    private static void StoreRow(ArrayView<float> products, int productRow, int outInGroup, int tile, Line4 sums, WinogradShape shape)
    {
        if (outInGroup >= shape.OutPerGroup)
            return;
        int start = productRow * shape.Tiles + tile;
        if (tile < shape.Tiles) products[start] = sums.A0;
        if (tile + 16 < shape.Tiles) products[start + 16] = sums.A1;
        if (tile + 32 < shape.Tiles) products[start + 32] = sums.A2;
        if (tile + 48 < shape.Tiles) products[start + 48] = sums.A3;
    }
}
