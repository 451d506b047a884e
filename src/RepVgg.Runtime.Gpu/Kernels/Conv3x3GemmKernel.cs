using ILGPU;
using ILGPU.Runtime;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// conv3x3 (padding 1, stride 1 or 2, any groups) + bias + ReLU as an implicit GEMM, per group:
/// <c>out[m, n] = ReLU(bias[m] + sum_k W[k, m] * X[k, n])</c> with M = output channels of the group,
/// N = batch x output pixels and K = input channels of the group x 9 taps. X is never materialised: each
/// K x N tile is gathered from the NCHW input (zero outside the image: the padding).
/// </summary>
/// <remarks>
/// <para>
/// Tiling: a group of 256 threads computes a 64 (channels) x 64 (pixels) output tile, stepping through K
/// 16 at a time. Each step, the threads stage a 16 x 64 slice of W and a 16 x 64 slice of X in shared
/// memory (4 floats each per thread, 8 KB per group), then every thread multiplies its 4 x 4 block out of
/// them: 8 shared-memory reads for 16 multiply-adds, where one output per thread would need 2 reads per
/// multiply-add. 4 x 4 per thread keeps 16 accumulators in registers and leaves room for several groups per
/// SM (256 threads x ~40 registers); 64 x 64 tiles are the smallest that give that reuse while a small layer
/// (RepVGG's 7 x 7 stage 4 at batch 1) still has enough tiles to spread over the SMs. Layers large enough to fill
/// the device with 128 x 128 tiles run <see cref="Conv3x3LargeGemmKernel"/> instead.
/// </para>
/// <para>
/// A thread's block is strided, not contiguous: channels <c>ty + 16i</c> and pixels <c>tx + 16j</c>
/// (tx = thread % 16, ty = thread / 16). Then the 16 threads of a half-warp read 16 consecutive floats of the
/// X slice (no bank conflicts), read one broadcast float of the W slice, and store 16 consecutive
/// pixels of one output channel (coalesced in NCHW).
/// </para>
/// <para>
/// Loads: a thread loads column <c>thread % 64</c> of both slices, rows <c>thread / 64 + 4r</c>, so a warp reads
/// 32 consecutive output channels of W (stored [group][k][m], m contiguous) and 32 consecutive pixels of X
/// (consecutive x of one input row at stride 1). The pixel a thread gathers for is fixed for the whole
/// K loop, so its image, row and column are decomposed once. Channel counts and pixel counts need not be
/// multiples of the tile: loads past the edges read zeros and stores past them are skipped.
/// </para>
/// </remarks>
internal static class Conv3x3GemmKernel
{
    /// <summary>K per shared-memory step.</summary>
    public const int TileReduction = 16;

    /// <summary>Threads per group: 16 x 16, each computing 4 x 4 outputs.</summary>
    public const int Threads = 256;

    /// <summary>Output channels and pixels per tile.</summary>
    public const int TileSize = 64;

    private const int ThreadsPerRow = 16;
    private const int LoadRowsPerPass = Threads / TileSize;

    /// <summary>The launch: one group per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig Config(ConvShape shape, int groups) => GemmTile.Config(shape, groups, Threads, TileSize);

    /// <param name="input">N x InChannels x InHeight x InWidth.</param>
    /// <param name="weights">[group][k = icInGroup * 9 + ky * 3 + kx][m = ocInGroup] (<see cref="Weights.GemmWeightLayout"/>).</param>
    /// <param name="bias">OutChannels.</param>
    /// <param name="output">N x OutChannels x OutHeight x OutWidth.</param>
    /// <param name="shape">The layer's shapes for this batch.</param>
    public static void Run(ArrayView<float> input, ArrayView<float> weights, ArrayView<float> bias, ArrayView<float> output, ConvShape shape)
    {
        ArrayView<float> weightTile = SharedMemory.Allocate<float>(TileReduction * TileSize); // [k][m]
        ArrayView<float> inputTile = SharedMemory.Allocate<float>(TileReduction * TileSize); // [k][n]

        int thread = Group.IdxX;
        var tile = new GemmTile(shape, thread, TileSize);
        int reduction = shape.Reduction;

        var sums = new Accumulators4x4();
        int tx = thread % ThreadsPerRow;
        int ty = thread / ThreadsPerRow;
        for (int step = 0; step < reduction; step += TileReduction)
        {
            for (int row = tile.LoadRow; row < TileReduction; row += LoadRowsPerPass)
            {
                int k = step + row;
                weightTile[row * TileSize + tile.LoadColumn] = tile.LoadWeight(weights, shape, k);
                inputTile[row * TileSize + tile.LoadColumn] = tile.Gather.Load(input, shape, k);
            }
            Group.Barrier();

            for (int k = 0; k < TileReduction; k++)
            {
                int w = k * TileSize + ty;
                int x = k * TileSize + tx;
                sums.MultiplyAdd(
                    weightTile[w], weightTile[w + 16], weightTile[w + 32], weightTile[w + 48],
                    inputTile[x], inputTile[x + 16], inputTile[x + 32], inputTile[x + 48]);
            }
            Group.Barrier();
        }

        // Row i is channel ty + 16i, column j pixel tx + 16j.
        int pixel = tile.FirstPixel + tx;
        int channel = tile.FirstChannel + ty;
        int group = tile.ConvGroup;
        ConvOutput.Store(output, bias, shape, group, channel, pixel, sums.C00);
        ConvOutput.Store(output, bias, shape, group, channel, pixel + 16, sums.C01);
        ConvOutput.Store(output, bias, shape, group, channel, pixel + 32, sums.C02);
        ConvOutput.Store(output, bias, shape, group, channel, pixel + 48, sums.C03);
        ConvOutput.Store(output, bias, shape, group, channel + 16, pixel, sums.C10);
        ConvOutput.Store(output, bias, shape, group, channel + 16, pixel + 16, sums.C11);
        ConvOutput.Store(output, bias, shape, group, channel + 16, pixel + 32, sums.C12);
        ConvOutput.Store(output, bias, shape, group, channel + 16, pixel + 48, sums.C13);
        ConvOutput.Store(output, bias, shape, group, channel + 32, pixel, sums.C20);
        ConvOutput.Store(output, bias, shape, group, channel + 32, pixel + 16, sums.C21);
        ConvOutput.Store(output, bias, shape, group, channel + 32, pixel + 32, sums.C22);
        ConvOutput.Store(output, bias, shape, group, channel + 32, pixel + 48, sums.C23);
        ConvOutput.Store(output, bias, shape, group, channel + 48, pixel, sums.C30);
        ConvOutput.Store(output, bias, shape, group, channel + 48, pixel + 16, sums.C31);
        ConvOutput.Store(output, bias, shape, group, channel + 48, pixel + 32, sums.C32);
        ConvOutput.Store(output, bias, shape, group, channel + 48, pixel + 48, sums.C33);
    }
}
