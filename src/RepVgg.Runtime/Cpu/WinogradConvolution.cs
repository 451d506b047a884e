using System.Runtime.CompilerServices;

namespace RepVgg.Cpu;

/// <summary>
/// A stride-1 conv3x3 + bias + ReLU layer by Winograd F(4x4, 3x3) over a batch, in two parallel
/// phases on the <see cref="WorkerPool"/>. One instance per engine, reused for every layer.
/// </summary>
/// <remarks>
/// <para>
/// The output is cut into 4 x 4 tiles (the last row and column of tiles may hang over the edge),
/// numbered over the whole batch, image by image, row by row.
/// </para>
/// <para>
/// Phase 1, items (image, tile row, input block): each tile's 6 x 6 input window is transformed,
/// 16 channels at a time, into the workspace <c>V[point 36][tile][input channel]</c>.
/// </para>
/// <para>
/// Phase 2, items (output block, group of tiles): for each of the 36 points, the register-tiled
/// kernel (<see cref="IWinogradMultiply"/>) multiplies the group's transformed inputs by the
/// block's transformed weights into a per-item scratch <c>M[point][tile][16]</c>; the group's tiles
/// are then transformed back, biased, rectified and stored. An item reads its block's weights at a
/// point (at most 16 x 512 floats, 32 KB) for all its tiles while they are in L1, and the weights of
/// the whole layer are read about once per group; groups hold up to <see cref="GroupTiles"/> tiles,
/// which is every tile of a 14 x 14 layer at batch 1, so a wide layer's weights (36 x 512 x 512
/// floats for RepVGG-B1's stage 3) stream from memory once per call.
/// </para>
/// <para>
/// The workspace holds as many tiles as the batch has, rounded up to whole register tiles; the
/// extra rows are never initialised, and their products are computed but never stored.
/// </para>
/// </remarks>
internal sealed unsafe class WinogradConvolution : IParallelWork
{
    private const int Lanes = ChannelBlockedLayout.Lanes;
    private const int TileSize = Winograd4x4.TileSize;
    private const int Points = Winograd4x4.Points;

    /// <summary>Most tiles one phase-2 item multiplies: its scratch is 36 x 24 x 16 floats, 54 KB.</summary>
    private const int GroupTiles = 24;

    private float* _input;
    private float* _output;
    private float* _weights;
    private float* _bias;
    private float* _workspace;
    private Conv3x3Layer _layer = null!;
    private VectorWidth _width;
    private ChannelBlockedLayout _inputLayout;
    private ChannelBlockedLayout _outputLayout;
    private int _tilesY;
    private int _tilesX;
    private int _tiles;
    private int _groupTiles;
    private int _groups;
    private int _outputBlocks;
    private long _tileFloats;
    private long _pointFloats;
    private int _weightPointFloats;
    private bool _transforming;

    /// <summary>Floats of workspace <see cref="Run"/> needs for <paramref name="layer"/> at a batch of <paramref name="batch"/>.</summary>
    public static long WorkspaceFloats(Conv3x3Layer layer, int batch, VectorWidth width)
    {
        long tiles = (long)batch * TilesAlong(layer.OutHeight) * TilesAlong(layer.OutWidth);
        return Points * RoundUp(tiles, RegisterTiles(width)) * ChannelBlockedLayout.BlocksOf(layer.InChannels) * Lanes;
    }

    /// <summary>
    /// Runs <paramref name="layer"/> (stride 1) on <paramref name="batch"/> images from <paramref name="input"/> into
    /// <paramref name="output"/> (both <see cref="ChannelBlockedLayout"/>), reading the transformed weights
    /// (<see cref="WinogradPacking"/>) and the bias at <paramref name="weights"/> and <paramref name="bias"/>, using
    /// <see cref="WorkspaceFloats"/> floats at <paramref name="workspace"/>.
    /// </summary>
    public void Run(WorkerPool pool, float* input, float* output, float* weights, float* bias, float* workspace,
        Conv3x3Layer layer, int batch, VectorWidth width)
    {
        _input = input;
        _output = output;
        _weights = weights;
        _bias = bias;
        _workspace = workspace;
        _layer = layer;
        _width = width;
        _inputLayout = new ChannelBlockedLayout(layer.InChannels, layer.InHeight, layer.InWidth);
        _outputLayout = new ChannelBlockedLayout(layer.OutChannels, layer.OutHeight, layer.OutWidth);
        _outputBlocks = Conv3x3Packing.OutputBlockCount(layer.OutChannels);
        _tilesY = TilesAlong(layer.OutHeight);
        _tilesX = TilesAlong(layer.OutWidth);
        _tiles = batch * _tilesY * _tilesX;
        int registerTiles = RegisterTiles(width);
        _groupTiles = Math.Min(GroupTiles / registerTiles * registerTiles, (int)RoundUp(_tiles, registerTiles));
        _groups = (_tiles + _groupTiles - 1) / _groupTiles;
        _tileFloats = _inputLayout.ChannelBlocks * Lanes;
        _pointFloats = RoundUp(_tiles, registerTiles) * _tileFloats;
        _weightPointFloats = WinogradPacking.PointFloats(layer.InChannels, layer.OutChannels, layer.Groups);

        _transforming = true;
        pool.Run(this, batch * _tilesY * _inputLayout.ChannelBlocks);
        _transforming = false;
        _outputLayout.ClearBorders(output, batch);
        pool.Run(this, _outputBlocks * _groups);
    }

    /// <inheritdoc/>
    public void Run(int item)
    {
        switch (_width, _transforming)
        {
            case (VectorWidth.Vector512, true): TransformInputs<Lanes512>(item); break;
            case (VectorWidth.Vector512, false): Multiply<Lanes512, WinogradMultiply512>(item); break;
            case (VectorWidth.Vector256, true): TransformInputs<Lanes256>(item); break;
            case (VectorWidth.Vector256, false): Multiply<Lanes256, WinogradMultiply256>(item); break;
            case (VectorWidth.Vector128, true): TransformInputs<Lanes128>(item); break;
            case (VectorWidth.Vector128, false): Multiply<Lanes128, WinogradMultiplyOneTile<Lanes128>>(item); break;
            case (_, true): TransformInputs<LanesScalar>(item); break;
            default: Multiply<LanesScalar, WinogradMultiplyOneTile<LanesScalar>>(item); break;
        }
    }

    /// <summary>Phase 1: one row of tiles of one input block of one image into the workspace.</summary>
    [SkipLocalsInit]
    private void TransformInputs<TLanes>(int item) where TLanes : struct, ILanes<TLanes>
    {
        int block = item % _inputLayout.ChannelBlocks;
        int tileRow = item / _inputLayout.ChannelBlocks % _tilesY;
        int image = item / _inputLayout.ChannelBlocks / _tilesY;
        float* source = _input + image * _inputLayout.ImageFloats + block * _inputLayout.ChannelBlockFloats;
        float* window = stackalloc float[Points * Lanes];

        // The window of tile (ty, tx) starts at padded pixel (4 ty, 4 tx): output pixel (4 ty, 4 tx) reads
        // input from one pixel up and left, which the one-pixel border puts at padded (4 ty, 4 tx).
        int top = tileRow * TileSize;
        int rowsInside = Math.Min(Winograd4x4.InputTileSize, _inputLayout.PaddedHeight - top);
        for (int tileColumn = 0; tileColumn < _tilesX; tileColumn++)
        {
            int left = tileColumn * TileSize;
            int columnsInside = Math.Min(Winograd4x4.InputTileSize, _inputLayout.PaddedWidth - left);
            int tile = (image * _tilesY + tileRow) * _tilesX + tileColumn;
            float* transformed = _workspace + tile * _tileFloats + block * Lanes;
            float* corner = source + _inputLayout.Offset(0, top, left);
            if (rowsInside == Winograd4x4.InputTileSize && columnsInside == Winograd4x4.InputTileSize)
            {
                Winograd4x4.TransformInput<TLanes>(corner, _inputLayout.RowFloats, transformed, _pointFloats);
                continue;
            }

            // A tile over the bottom or right edge: its window, zero past the padded image.
            new Span<float>(window, Points * Lanes).Clear();
            for (int y = 0; y < rowsInside; y++)
                new ReadOnlySpan<float>(corner + y * _inputLayout.RowFloats, columnsInside * Lanes)
                    .CopyTo(new Span<float>(window + y * Winograd4x4.InputTileSize * Lanes, columnsInside * Lanes));
            Winograd4x4.TransformInput<TLanes>(window, Winograd4x4.InputTileSize * Lanes, transformed, _pointFloats);
        }
    }

    /// <summary>Phase 2: one output block for one group of tiles, from the workspace to the output.</summary>
    [SkipLocalsInit]
    private void Multiply<TLanes, TKernel>(int item)
        where TLanes : struct, ILanes<TLanes>
        where TKernel : struct, IWinogradMultiply
    {
        int block = item % _outputBlocks;
        int firstTile = item / _outputBlocks * _groupTiles;
        int groupTiles = Math.Min(_groupTiles, (int)RoundUp(_tiles - firstTile, TKernel.Tiles));
        var (firstInput, inputCount) = Conv3x3Packing.InputChannelRange(block, _layer.InChannels, _layer.OutChannels, _layer.Groups);
        float* blockWeights = _weights + Conv3x3Packing.BlockWeightOffset(block, _layer.InChannels, _layer.OutChannels, _layer.Groups) / 9;
        float* products = stackalloc float[Points * GroupTiles * Lanes];

        long productPointFloats = (long)groupTiles * Lanes;
        for (int point = 0; point < Points; point++)
        {
            float* inputs = _workspace + point * _pointFloats + firstTile * _tileFloats + firstInput;
            float* weights = blockWeights + (long)point * _weightPointFloats;
            for (int tile = 0; tile < groupTiles; tile += TKernel.Tiles)
                TKernel.Multiply(inputs + tile * _tileFloats, _tileFloats, weights, inputCount, products + point * productPointFloats + tile * Lanes);
        }

        int tilesPerImage = _tilesY * _tilesX;
        int lastTile = Math.Min(firstTile + groupTiles, _tiles);
        for (int tile = firstTile; tile < lastTile; tile++)
        {
            int image = tile / tilesPerImage, tileRow = tile % tilesPerImage / _tilesX, tileColumn = tile % _tilesX;
            int top = tileRow * TileSize, left = tileColumn * TileSize;
            float* output = _output + image * _outputLayout.ImageFloats + _outputLayout.Offset(block, top + 1, left + 1);
            Winograd4x4.TransformOutput<TLanes>(products + (tile - firstTile) * Lanes, productPointFloats, _bias + block * Lanes,
                output, _outputLayout.RowFloats, Math.Min(TileSize, _layer.OutHeight - top), Math.Min(TileSize, _layer.OutWidth - left));
        }
    }

    private static int TilesAlong(int pixels) => (pixels + TileSize - 1) / TileSize;

    private static long RoundUp(long value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>Tiles one call of the width's multiply kernel computes.</summary>
    private static int RegisterTiles(VectorWidth width) => width switch
    {
        VectorWidth.Vector512 => WinogradMultiply512.Tiles,
        VectorWidth.Vector256 => WinogradMultiply256.Tiles,
        _ => 1,
    };
}
