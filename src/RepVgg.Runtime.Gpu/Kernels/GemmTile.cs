using ILGPU;
using ILGPU.Runtime;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// The output tile one group of an implicit-GEMM conv kernel computes, 64 channels (M) by 64 pixels (N), with the
/// grid that covers a layer with them, and what a thread of the group stages from W and X each step: column
/// <see cref="LoadColumn"/> of both, rows <see cref="LoadRow"/>, <see cref="LoadRow"/> + threads / 64, and so on.
/// Loads past the edges read zeros, so no size needs padding.
/// </summary>
internal readonly struct GemmTile
{
    /// <summary>Output channels per tile (the GEMM's M).</summary>
    public const int Channels = 64;

    /// <summary>Output pixels per tile (the GEMM's N).</summary>
    public const int Pixels = 64;

    /// <param name="shape">The layer.</param>
    /// <param name="thread">The thread's index in its group.</param>
    public GemmTile(ConvShape shape, int thread)
    {
        ConvGroup = Grid.IdxZ;
        FirstChannel = Grid.IdxY * Channels;
        FirstPixel = Grid.IdxX * Pixels;
        LoadColumn = thread % Pixels;
        LoadRow = thread / Pixels;
        Gather = new InputGather(shape, ConvGroup, FirstPixel + LoadColumn);
    }

    /// <summary>The conv group whose channels the tile covers.</summary>
    public int ConvGroup { get; }

    /// <summary>The tile's first output channel within its conv group.</summary>
    public int FirstChannel { get; }

    /// <summary>The tile's first GEMM column (image x output pixels).</summary>
    public int FirstPixel { get; }

    /// <summary>The column of W (channel) and of X (pixel) this thread stages.</summary>
    public int LoadColumn { get; }

    /// <summary>The first row (k) of each step this thread stages.</summary>
    public int LoadRow { get; }

    /// <summary>This thread's column of X.</summary>
    public InputGather Gather { get; }

    /// <summary>The launch: one group of <paramref name="threads"/> per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig Config(ConvShape shape, int groups, int threads) => new(
        new Index3D((shape.Pixels + Pixels - 1) / Pixels, (shape.OutPerGroup + Channels - 1) / Channels, groups),
        new Index3D(threads, 1, 1));

    /// <summary>W[k, this thread's channel] of the tile's conv group (<see cref="Weights.GemmWeightLayout"/>); zero at or past K or M.</summary>
    public float LoadWeight(ArrayView<float> weights, ConvShape shape, int k)
    {
        int channel = FirstChannel + LoadColumn;
        return k < shape.Reduction && channel < shape.OutPerGroup ? weights[(ConvGroup * shape.Reduction + k) * shape.OutPerGroup + channel] : 0f;
    }
}
