using ILGPU;
using ILGPU.Runtime;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// The square output tile one group of an implicit-GEMM conv kernel computes, <c>size</c> channels (M) by <c>size</c>
/// pixels (N), with the grid that covers a layer with them, and what a thread of the group stages from W and X each
/// step: column <see cref="LoadColumn"/> of both, rows <see cref="LoadRow"/>, <see cref="LoadRow"/> + threads / size,
/// and so on. Loads past the edges read zeros, so no size needs padding.
/// </summary>
internal readonly struct GemmTile
{
    /// <param name="shape">The layer.</param>
    /// <param name="thread">The thread's index in its group.</param>
    /// <param name="size">Output channels and pixels per tile: a kernel's constant.</param>
    public GemmTile(ConvShape shape, int thread, int size)
    {
        ConvGroup = Grid.IdxZ;
        FirstChannel = Grid.IdxY * size;
        FirstPixel = Grid.IdxX * size;
        LoadColumn = thread % size;
        LoadRow = thread / size;
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

    /// <summary>Column <paramref name="column"/> of the tile's X, from an input laid out as <typeparamref name="TLayout"/>.</summary>
    public InputGather<TLayout> Gather<TLayout>(ConvShape shape, int column) where TLayout : struct, IActivationLayout =>
        new(shape, ConvGroup, FirstPixel + column);

    /// <summary>The launch: one group of <paramref name="threads"/> per (pixel tile, channel tile, conv group).</summary>
    public static KernelConfig Config(ConvShape shape, int groups, int threads, int size) => new(
        new Index3D((shape.Pixels + size - 1) / size, (shape.OutPerGroup + size - 1) / size, groups),
        new Index3D(threads, 1, 1));
}
