using System.Runtime.CompilerServices;

namespace RepVgg.Cpu;

/// <summary>
/// A stride-1 conv3x3 + bias + ReLU layer by Winograd F(2x2, 3x3) or F(4x4, 3x3) over a batch, in
/// two parallel phases on the <see cref="WorkerPool"/>. One instance per engine, reused for every layer.
/// </summary>
/// <remarks>
/// <para>
/// The output is cut into m x m tiles (the last row and column of tiles may hang over the edge),
/// numbered over the whole batch, image by image, row by row.
/// </para>
/// <para>
/// Phase 1, items (image, tile row, input block): each tile's (m + 2) x (m + 2) input window is
/// transformed, 16 channels at a time, into the workspace <c>V[point][tile][input channel]</c>.
/// </para>
/// <para>
/// Phase 2, items (span of one or two output blocks, group of tiles): for each point, the
/// register-tiled kernel (<see cref="IWinogradMultiply"/>) multiplies the group's transformed inputs
/// by the blocks' transformed weights into a per-thread scratch <c>M[block][point][tile][16]</c>; the
/// group's tiles are then transformed back, biased, rectified and stored. An item reads its blocks'
/// weights at a point (at most 2 x 16 x 512 floats, 64 KB) for all its tiles while they are in cache,
/// so a layer's weights are read once per group. The scratch (256 KB) holds every tile of a 14 x 14
/// or 28 x 28 layer at batch 1, so there a wide layer's weights stream from memory once per call.
/// </para>
/// <para>
/// The workspace holds as many tiles as the batch has, rounded up to whole register tiles; the
/// extra rows are never initialised, and their products are computed but never stored.
/// </para>
/// </remarks>
internal sealed unsafe class WinogradConvolution : IParallelWork
{
    private const int Lanes = ChannelBlockedLayout.Lanes;

    /// <summary>Floats of a thread's product scratch: 256 KB (an eighth of an L2), blocks x points x tiles x 16 lanes.</summary>
    public const int ScratchFloats = 64 * 1024;

    // One product scratch per thread, allocated on its first Winograd layer and kept: no allocation per call.
    [ThreadStatic]
    private static float[]? t_products;

    private float* _input;
    private float* _output;
    private float* _weights;
    private float* _bias;
    private float* _workspace;
    private Conv3x3Layer _layer = null!;
    private bool _relu;
    // With sumChannels, each item's sums of the tiles it wrote, per image it touches (at most _imagesPerItem, from the
    // image of its first tile) and block of its span (SumChannels adds them up).
    private bool _sumChannels;
    private float[] _sums = [];
    private int _imagesPerItem;
    private VectorWidth _width;
    private int _tileSize;
    private ChannelBlockedLayout _inputLayout;
    private ChannelBlockedLayout _outputLayout;
    private int _tilesY;
    private int _tilesX;
    private int _tiles;
    private int _groupTiles;
    private int _groups;
    // Phase 2's spans of one or two output blocks.
    private readonly OutputBlockSpans _spans = new();
    private long _tileFloats;
    private long _pointFloats;
    private int _weightPointFloats;
    private bool _transforming;

    /// <summary>Floats of workspace <see cref="Run"/> needs for <paramref name="layer"/> at a batch of <paramref name="batch"/>.</summary>
    public static long WorkspaceFloats(Conv3x3Layer layer, int batch, VectorWidth width)
    {
        int tileSize = TileSize(layer.Algorithm);
        long tiles = (long)batch * TilesAlong(layer.OutHeight, tileSize) * TilesAlong(layer.OutWidth, tileSize);
        return WinogradPacking.Points(layer.Algorithm) * RoundUp(tiles, RegisterTiles(width)) * ChannelBlockedLayout.BlocksOf(layer.InChannels) * Lanes;
    }

    /// <summary>
    /// Runs <paramref name="layer"/> (stride 1) on <paramref name="batch"/> images from <paramref name="input"/> into
    /// <paramref name="output"/> (both <see cref="ChannelBlockedLayout"/>), reading the transformed weights
    /// (<see cref="WinogradPacking"/>) and the bias at <paramref name="weights"/> and <paramref name="bias"/>, using
    /// <see cref="WorkspaceFloats"/> floats at <paramref name="workspace"/>; ReLU'd when <paramref name="relu"/>. With
    /// <paramref name="sumChannels"/>, each item also sums the tiles it wrote, for <see cref="SumChannels"/>.
    /// </summary>
    public void Run(WorkerPool pool, float* input, float* output, float* weights, float* bias, float* workspace,
        Conv3x3Layer layer, int batch, VectorWidth width, bool relu, bool sumChannels = false)
    {
        _relu = relu;
        _sumChannels = sumChannels;
        _input = input;
        _output = output;
        _weights = weights;
        _bias = bias;
        _workspace = workspace;
        _layer = layer;
        _width = width;
        _inputLayout = new ChannelBlockedLayout(layer.InChannels, layer.InHeight, layer.InWidth);
        _outputLayout = new ChannelBlockedLayout(layer.OutChannels, layer.OutHeight, layer.OutWidth);
        _tileSize = TileSize(layer.Algorithm);
        _tilesY = TilesAlong(layer.OutHeight, _tileSize);
        _tilesX = TilesAlong(layer.OutWidth, _tileSize);
        _tiles = batch * _tilesY * _tilesX;
        int registerTiles = RegisterTiles(width);
        bool pairs = width == VectorWidth.Vector512;
        _spans.Plan(layer, pairs);
        int scratchTiles = ScratchFloats / ((pairs ? 2 : 1) * WinogradPacking.Points(layer.Algorithm) * Lanes);
        _groupTiles = Math.Min(scratchTiles / registerTiles * registerTiles, (int)RoundUp(_tiles, registerTiles));
        _groups = (_tiles + _groupTiles - 1) / _groupTiles;
        _tileFloats = _inputLayout.ChannelBlocks * Lanes;
        _pointFloats = RoundUp(_tiles, registerTiles) * _tileFloats;
        _weightPointFloats = WinogradPacking.PointFloats(layer.InChannels, layer.OutChannels, layer.Groups);

        _transforming = true;
        pool.Run(this, batch * _tilesY * _inputLayout.ChannelBlocks);
        _transforming = false;
        _outputLayout.ClearBorders(output, batch);
        // A group of tiles spans at most this many images: (groupTiles - 1) / tilesPerImage + 2.
        _imagesPerItem = Math.Min(batch, (_groupTiles - 1) / (_tilesY * _tilesX) + 2);
        long slots = (long)_spans.Count * _groups * _imagesPerItem * 2 * Lanes;
        if (sumChannels && _sums.Length < slots)
            _sums = GC.AllocateUninitializedArray<float>(checked((int)slots), pinned: true);
        pool.Run(this, _spans.Count * _groups);
    }

    /// <summary>
    /// The last layer's per-channel sums over its whole output (batch x blocks x 16, zero past the channels), from the
    /// items' sums: the layer must have run with <c>sumChannels</c>.
    /// </summary>
    public void SumChannels(Span<double> totals)
    {
        totals.Clear();
        int blocks = _outputLayout.ChannelBlocks, tilesPerImage = _tilesY * _tilesX;
        fixed (float* sums = _sums)
        {
            for (int item = 0; item < _spans.Count * _groups; item++)
            {
                int span = item % _spans.Count;
                int firstTile = item / _spans.Count * _groupTiles, lastTile = Math.Min(firstTile + _groupTiles, _tiles);
                int firstImage = firstTile / tilesPerImage, lastImage = (lastTile - 1) / tilesPerImage;
                for (int image = firstImage; image <= lastImage; image++)
                    for (int b = 0; b < _spans.Blocks(span); b++)
                        ChannelSums.Accumulate(sums + SumSlot(item, image - firstImage, b),
                            totals.Slice((image * blocks + _spans.First(span) + b) * Lanes, Lanes));
            }
        }
    }

    /// <summary>Where item <paramref name="item"/> sums block <paramref name="b"/> of its span for the <paramref name="imageInItem"/>-th image it touches.</summary>
    private long SumSlot(int item, int imageInItem, int b) => (((long)item * _imagesPerItem + imageInItem) * 2 + b) * Lanes;

    /// <inheritdoc/>
    public void Run(int item)
    {
        if (_layer.Algorithm == ConvAlgorithm.Winograd2x2)
            Run<Winograd2x2>(item);
        else
            Run<Winograd4x4>(item);
    }

    private void Run<TTransform>(int item) where TTransform : struct, IWinogradTransform
    {
        switch (_width, _transforming)
        {
            case (VectorWidth.Vector512, true): TransformInputs<TTransform, Lanes512>(item); break;
            case (VectorWidth.Vector512, false): Multiply<TTransform, Lanes512, WinogradMultiply512Pair, WinogradMultiply512>(item); break;
            case (VectorWidth.Vector256, true): TransformInputs<TTransform, Lanes256>(item); break;
            case (VectorWidth.Vector256, false): Multiply<TTransform, Lanes256, WinogradMultiply256, WinogradMultiply256>(item); break;
            case (VectorWidth.Vector128, true): TransformInputs<TTransform, Lanes128>(item); break;
            case (VectorWidth.Vector128, false): Multiply<TTransform, Lanes128, WinogradMultiplyOneTile<Lanes128>, WinogradMultiplyOneTile<Lanes128>>(item); break;
            case (_, true): TransformInputs<TTransform, LanesScalar>(item); break;
            default: Multiply<TTransform, LanesScalar, WinogradMultiplyOneTile<LanesScalar>, WinogradMultiplyOneTile<LanesScalar>>(item); break;
        }
    }

    /// <summary>Phase 1: one row of tiles of one input block of one image into the workspace.</summary>
    [SkipLocalsInit]
    private void TransformInputs<TTransform, TLanes>(int item)
        where TTransform : struct, IWinogradTransform
        where TLanes : struct, ILanes<TLanes>
    {
        int tileSize = TTransform.TileSize, inputTileSize = TTransform.InputTileSize;
        int block = item % _inputLayout.ChannelBlocks;
        int tileRow = item / _inputLayout.ChannelBlocks % _tilesY;
        int image = item / _inputLayout.ChannelBlocks / _tilesY;
        float* source = _input + image * _inputLayout.ImageFloats + block * _inputLayout.ChannelBlockFloats;
        float* window = stackalloc float[TTransform.Points * Lanes];

        // The window of tile (ty, tx) starts at padded pixel (m ty, m tx): output pixel (m ty, m tx) reads
        // input from one pixel up and left, which the one-pixel border puts at padded (m ty, m tx).
        int top = tileRow * tileSize;
        int rowsInside = Math.Min(inputTileSize, _inputLayout.PaddedHeight - top);
        for (int tileColumn = 0; tileColumn < _tilesX; tileColumn++)
        {
            int left = tileColumn * tileSize;
            int columnsInside = Math.Min(inputTileSize, _inputLayout.PaddedWidth - left);
            int tile = (image * _tilesY + tileRow) * _tilesX + tileColumn;
            float* transformed = _workspace + tile * _tileFloats + block * Lanes;
            float* corner = source + _inputLayout.Offset(0, top, left);
            if (rowsInside == inputTileSize && columnsInside == inputTileSize)
            {
                TTransform.TransformInput<TLanes>(corner, _inputLayout.RowFloats, transformed, _pointFloats);
                continue;
            }

            // A tile over the bottom or right edge: its window, zero past the padded image.
            new Span<float>(window, TTransform.Points * Lanes).Clear();
            for (int y = 0; y < rowsInside; y++)
                new ReadOnlySpan<float>(corner + y * _inputLayout.RowFloats, columnsInside * Lanes)
                    .CopyTo(new Span<float>(window + y * inputTileSize * Lanes, columnsInside * Lanes));
            TTransform.TransformInput<TLanes>(window, inputTileSize * Lanes, transformed, _pointFloats);
        }
    }

    /// <summary>Phase 2: one span of output blocks (one or a pair) for one group of tiles, from the workspace to the output.</summary>
    private void Multiply<TTransform, TLanes, TPair, TSingle>(int item)
        where TTransform : struct, IWinogradTransform
        where TLanes : struct, ILanes<TLanes>
        where TPair : struct, IWinogradMultiply
        where TSingle : struct, IWinogradMultiply
    {
        int span = item % _spans.Count;
        int firstBlock = _spans.First(span), blocks = _spans.Blocks(span);
        int firstTile = item / _spans.Count * _groupTiles;
        int groupTiles = Math.Min(_groupTiles, (int)RoundUp(_tiles - firstTile, TSingle.Tiles));
        var (firstInput, inputCount) = _spans.InputRange(span);
        float* blockWeights = _weights + _spans.WeightOffset(span) / 9;
        t_products ??= GC.AllocateUninitializedArray<float>(ScratchFloats, pinned: true);
        float* products = (float*)Unsafe.AsPointer(ref t_products[0]);

        // Products: [block][point][tile][16].
        long productPointFloats = (long)groupTiles * Lanes;
        long blockProductFloats = TTransform.Points * productPointFloats;
        for (int point = 0; point < TTransform.Points; point++)
        {
            float* inputs = _workspace + point * _pointFloats + firstTile * _tileFloats + firstInput;
            float* weights = blockWeights + (long)point * _weightPointFloats;
            float* nextWeights = point + 1 < TTransform.Points ? weights + _weightPointFloats : null;
            float* pointProducts = products + point * productPointFloats;
            for (int tile = 0; tile < groupTiles; tile += TSingle.Tiles)
            {
                float* prefetch = tile == 0 ? nextWeights : null;
                if (blocks == 2)
                    TPair.Multiply(inputs + tile * _tileFloats, _tileFloats, weights, inputCount, pointProducts + tile * Lanes, blockProductFloats, prefetch);
                else
                    TSingle.Multiply(inputs + tile * _tileFloats, _tileFloats, weights, inputCount, pointProducts + tile * Lanes, blockProductFloats, prefetch);
            }
        }

        int tilesPerImage = _tilesY * _tilesX;
        int lastTile = Math.Min(firstTile + groupTiles, _tiles);
        int firstImage = firstTile / tilesPerImage;
        fixed (float* sums = _sums)
        {
            if (_sumChannels)
                new Span<float>(sums + SumSlot(item, 0, 0), _imagesPerItem * 2 * Lanes).Clear();
            for (int b = 0; b < blocks; b++)
            {
                int block = firstBlock + b;
                for (int tile = firstTile; tile < lastTile; tile++)
                {
                    int image = tile / tilesPerImage, tileRow = tile % tilesPerImage / _tilesX, tileColumn = tile % _tilesX;
                    int top = tileRow * _tileSize, left = tileColumn * _tileSize;
                    int rows = Math.Min(_tileSize, _layer.OutHeight - top), columns = Math.Min(_tileSize, _layer.OutWidth - left);
                    float* output = _output + image * _outputLayout.ImageFloats + _outputLayout.Offset(block, top + 1, left + 1);
                    TTransform.TransformOutput<TLanes>(products + b * blockProductFloats + (tile - firstTile) * Lanes, productPointFloats,
                        _bias + block * Lanes, output, _outputLayout.RowFloats, rows, columns, _relu);
                    // The tile just written, while it is still in cache.
                    if (_sumChannels)
                        ChannelSums.Add(output, _outputLayout.RowFloats, rows, columns, sums + SumSlot(item, image - firstImage, b));
                }
            }
        }
    }

    private static int TilesAlong(int pixels, int tileSize) => (pixels + tileSize - 1) / tileSize;

    /// <summary>Output pixels per tile side, m.</summary>
    private static int TileSize(ConvAlgorithm algorithm) =>
        algorithm == ConvAlgorithm.Winograd2x2 ? Winograd2x2.TileSize : Winograd4x4.TileSize;

    private static long RoundUp(long value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>Tiles one call of the width's multiply kernel computes.</summary>
    private static int RegisterTiles(VectorWidth width) => width switch
    {
        VectorWidth.Vector512 => WinogradMultiply512.Tiles,
        VectorWidth.Vector256 => WinogradMultiply256.Tiles,
        _ => 1,
    };
}
