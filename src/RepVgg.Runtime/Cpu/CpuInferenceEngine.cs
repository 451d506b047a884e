using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RepVgg.Cpu;

/// <summary>
/// Runs a network on the CPU: SIMD kernels over activations in <see cref="ChannelBlockedLayout"/>,
/// ping-ponging between two buffers, each layer by its <see cref="ConvAlgorithm"/> (direct, or
/// Winograd through a workspace), with weights read in place from the blob or, for a compact blob's Winograd
/// layers, transformed once per process (<see cref="PlannedWeights"/>), on the process's
/// <see cref="WorkerPool"/>.
/// </summary>
internal sealed unsafe class CpuInferenceEngine : InferenceEngine
{
    private const int Lanes = ChannelBlockedLayout.Lanes;

    // The largest activation of one image over the input and every layer's output: each buffer holds
    // that times the batch, so a batch runs without allocating unless it is larger than any before.
    // Nothing is allocated before the first batch, which BeginBatch has checked against MaxBatch.
    private readonly long _largestImageFloats;
    private readonly ActivationBuffer[] _buffers = [new(), new()];
    // The Winograd layers' transformed inputs; sized on first use for the largest layer and batch.
    private readonly ActivationBuffer _workspace = new();
    // Floats of Winograd workspace per image (without rounding to register tiles), for the layer that needs the most.
    private readonly long _largestWorkspaceFloats;
    private readonly DirectConvolution _direct = new();
    private readonly WinogradConvolution _winograd = new();
    private readonly LinearClassifierWork _classifier = new();
    private readonly SqueezeExcitationWork _squeeze = new();
    // Where each layer's algorithm reads its weights: the blob, or (a compact blob's Winograd layers) their transform.
    private readonly PlannedWeights _planned;
    // Whether inputs are loaded as planes (few channels, a direct first layer), and whether the current activation is one.
    private readonly bool _planarInput;
    private bool _currentIsPlanar;
    private int _current;
    private ChannelBlockedLayout _layout;
    private int _batch;
    private float[] _pooled;

    public CpuInferenceEngine(NetworkLayout network, ModelWeights weights) : base(network, weights)
    {
        _largestImageFloats = new ChannelBlockedLayout(network.InputChannels, network.InputHeight, network.InputWidth).ImageFloats;
        foreach (Conv3x3Layer layer in network.Layers)
            _largestImageFloats = Math.Max(_largestImageFloats, OutputLayout(layer).ImageFloats);
        _largestWorkspaceFloats = WorkspaceFloats(batch: 1, VectorWidth.Scalar);
        _pooled = new float[network.Head.Features];
        _planarInput = network.InputChannels <= PaddedPlanarLayout.MaxChannels
            && network.Layers.Count > 0 && network.Layers[0].Algorithm == ConvAlgorithm.Direct;
        KernelWidth = VectorWidths.Widest;
        _planned = PlannedWeights.Of(weights);
        _planned.Prepare(network);
    }

    /// <summary>
    /// The kernels' width: the widest this machine accelerates, by default. Tests set it to run every
    /// width on one machine; each is correct anywhere.
    /// </summary>
    internal VectorWidth KernelWidth { get; set; }

    /// <inheritdoc/>
    public override Backend Backend => Backend.Cpu;

    /// <inheritdoc/>
    /// <remarks>E.g. "CPU, 2 threads, Vector512 kernels".</remarks>
    public override string DeviceName => $"CPU, {Environment.ProcessorCount} threads, {KernelWidth} kernels";

    /// <summary>The threads the layers run on: the process's.</summary>
    private static WorkerPool Pool => WorkerPool.Shared;

    /// <inheritdoc/>
    /// <remarks>
    /// The Winograd workspace of a batch holds its images' tiles rounded up to whole register tiles
    /// (at most 8 more tiles), hence the slack.
    /// </remarks>
    public override int MaxBatch => (int)Math.Min(
        ActivationBuffer.MaxCapacity / _largestImageFloats,
        _largestWorkspaceFloats == 0 ? int.MaxValue : (ActivationBuffer.MaxCapacity - 8 * _largestWorkspaceFloats) / _largestWorkspaceFloats);

    /// <inheritdoc/>
    /// <remarks>
    /// Two activation buffers, each the size of the largest activation (input or layer output) of the batch in
    /// <see cref="ChannelBlockedLayout"/>, the Winograd workspace for the largest Winograd layer, and each
    /// pool thread's Winograd product scratch (256 KB).
    /// </remarks>
    public override long BufferBytes(int batch)
    {
        long workspace = WorkspaceFloats(batch, KernelWidth);
        long scratch = workspace == 0 ? 0 : (long)Pool.Parallelism * WinogradConvolution.ScratchFloats;
        return sizeof(float) * (2 * batch * _largestImageFloats + workspace + scratch + batch * (long)Network.Head.Features);
    }

    /// <summary>Floats of Winograd workspace the layer that needs the most takes at this batch and width; 0 without Winograd layers.</summary>
    private long WorkspaceFloats(int batch, VectorWidth width)
    {
        long floats = 0;
        foreach (Conv3x3Layer layer in Network.Layers)
            if (layer.Algorithm != ConvAlgorithm.Direct)
                floats = Math.Max(floats, WinogradConvolution.WorkspaceFloats(layer, batch, width));
        return floats;
    }

    /// <summary>Floats the activation buffers hold now; lets tests see when they are allocated and released.</summary>
    internal long ActivationCapacity => _buffers[0].Capacity + _buffers[1].Capacity + _workspace.Capacity;

    protected override void LoadInput(ReadOnlySpan<float> images, int batch)
    {
        var layout = new ChannelBlockedLayout(Network.InputChannels, Network.InputHeight, Network.InputWidth);
        ReserveBatch(batch);
        float* data = _buffers[0].Data;
        _currentIsPlanar = _planarInput;
        if (_planarInput)
            new PaddedPlanarLayout(layout.Channels, layout.Height, layout.Width).Load(images, data, batch);
        else
            LoadBlocked(images, layout, data, batch);

        _current = 0;
        _layout = layout;
        _batch = batch;
    }

    /// <summary>Writes NCHW <paramref name="images"/> into <see cref="ChannelBlockedLayout"/> at <paramref name="data"/>.</summary>
    private static void LoadBlocked(ReadOnlySpan<float> images, ChannelBlockedLayout layout, float* data, int batch)
    {
        layout.ClearBorders(data, batch);

        // Each pixel's 16 lanes are written whole, zeros past the channels, so the buffer needs no clearing
        // first; a 64-byte zero store then the channels' floats, into one cache line.
        int planeLength = layout.Height * layout.Width;
        fixed (float* source = images)
        {
            for (int image = 0; image < batch; image++)
            {
                for (int block = 0; block < layout.ChannelBlocks; block++)
                {
                    int lanes = Math.Min(Lanes, layout.Channels - block * Lanes);
                    float* planes = source + ((long)image * layout.Channels + block * Lanes) * planeLength;
                    for (int y = 0; y < layout.Height; y++)
                    {
                        float* row = data + image * layout.ImageFloats + layout.Offset(block, y + 1, 1);
                        float* inputRow = planes + y * layout.Width;
                        for (int x = 0; x < layout.Width; x++)
                        {
                            float* pixel = row + x * Lanes;
                            Vector512<float>.Zero.Store(pixel);
                            for (int lane = 0; lane < lanes; lane++)
                                pixel[lane] = inputRow[lane * planeLength + x];
                        }
                    }
                }
            }
        }
    }

    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    /// <exception cref="InvalidOperationException">No batch was begun, or the layer's input shape is not the current activation's.</exception>
    /// <exception cref="ArgumentException">The layer's channels, groups, stride or algorithm are not supported.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The layer's weights or bias lie outside the blob.</exception>
    protected override void RunConv3x3BiasRelu(Conv3x3Layer layer)
    {
        RequireBatch();
        Conv3x3Packing.Validate(layer.InChannels, layer.OutChannels, layer.Groups);
        if (layer.Stride is not (1 or 2))
            throw new ArgumentException($"Layer {layer.Name}: stride {layer.Stride} is not supported; expected 1 or 2.", nameof(layer));
        if (layer.Algorithm is not (ConvAlgorithm.Direct or ConvAlgorithm.Winograd2x2 or ConvAlgorithm.Winograd4x4)
            || layer.Algorithm != ConvAlgorithm.Direct && layer.Stride != 1)
            throw new ArgumentException(
                $"Layer {layer.Name}: algorithm {layer.Algorithm} at stride {layer.Stride} is not supported; expected Direct, or a Winograd algorithm at stride 1.",
                nameof(layer));
        var inputLayout = new ChannelBlockedLayout(layer.InChannels, layer.InHeight, layer.InWidth);
        if (inputLayout != _layout)
            throw new InvalidOperationException(
                $"Layer {layer.Name} expects an input of N x {inputLayout}; the current activation is {_batch} x {_layout}.");

        // The weights in the algorithm's layout, checked to lie inside the blob where they are read in place, and the bias
        // checked likewise; the kernels then read them.
        bool winograd = layer.Algorithm != ConvAlgorithm.Direct;
        float* weights = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(_planned.Of(layer)));
        Weights.Slice(layer.BiasOffset, Conv3x3Packing.PackedBiasLength(layer.OutChannels));

        ChannelBlockedLayout output = OutputLayout(layer);
        ActivationBuffer target = _buffers[1 - _current];
        target.EnsureCapacity(_batch * output.ImageFloats);
        float* input = _buffers[_current].Data, bias = Weights.Data + layer.BiasOffset;
        // A squeeze-and-excitation before the ReLU pools the conv's output as it is: the ReLU comes with its scaling.
        bool relu = layer.Squeeze is not { Placement: SqueezePlacement.BeforeRelu };
        if (winograd)
        {
            if (_currentIsPlanar)
                throw new InvalidOperationException(
                    $"Layer {layer.Name} is a {layer.Algorithm} layer on the network's input, which this engine loads as planes for a direct first layer.");
            _workspace.EnsureCapacity(WinogradConvolution.WorkspaceFloats(layer, _batch, KernelWidth));
            _winograd.Run(Pool, input, target.Data, weights, bias, _workspace.Data, layer, _batch, KernelWidth, relu, sumChannels: layer.Squeeze is not null);
            if (layer.Squeeze is not null)
                _winograd.SumChannels(_squeeze.ChannelTotals(output, _batch));
        }
        else
        {
            _direct.Run(Pool, input, _currentIsPlanar, target.Data, weights, bias, layer, _batch, KernelWidth, relu, sumChannels: layer.Squeeze is not null);
            if (layer.Squeeze is not null)
                _direct.SumChannels(_squeeze.ChannelTotals(output, _batch));
        }
        if (layer.Squeeze is { } squeeze)
        {
            // Its four tensors, checked to lie inside the blob, where the passes read them.
            int channels = layer.OutChannels, inner = squeeze.InternalChannels;
            Weights.Slice(squeeze.DownWeightOffset, inner * channels);
            Weights.Slice(squeeze.DownBiasOffset, inner);
            Weights.Slice(squeeze.UpWeightOffset, channels * inner);
            Weights.Slice(squeeze.UpBiasOffset, channels);
            _squeeze.Run(Pool, target.Data, output, _batch, Weights.Data, squeeze);
        }
        _current = 1 - _current;
        _currentIsPlanar = false;
        _layout = output;
    }

    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    /// <exception cref="InvalidOperationException">No batch was begun, or the head's features are not the current channels.</exception>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is not batch x classes long.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The head's weights or bias lie outside the blob.</exception>
    public override void GlobalAveragePoolLinear(LinearHead head, Span<float> logits)
    {
        RequireBatch();
        if (head.Features != _layout.Channels)
            throw new InvalidOperationException(
                $"The head expects {head.Features} features; the current activation is {_batch} x {_layout}.");
        if (logits.Length != _batch * head.Classes)
            throw new ArgumentException(
                $"Expected {_batch} x {head.Classes} = {_batch * head.Classes} logits; found {logits.Length}.", nameof(logits));
        Weights.Slice(head.WeightOffset, head.Features * head.Classes); // (Classes, Features), checked to lie inside the blob
        Weights.Slice(head.BiasOffset, head.Classes);
        if (_pooled.Length < _batch * head.Features)
            _pooled = new float[_batch * head.Features];
        for (int image = 0; image < _batch; image++)
            AveragePool(image, _pooled.AsSpan(image * head.Features, head.Features));

        fixed (float* pooled = _pooled, output = logits)
            _classifier.Run(Pool, pooled, Weights.Data + head.WeightOffset, Weights.Data + head.BiasOffset, output, head, _batch);
    }

    /// <summary>Averages each channel of image <paramref name="image"/> of the current activation over space.</summary>
    private void AveragePool(int image, Span<float> pooled)
    {
        float* data = _buffers[_current].Data + image * _layout.ImageFloats;
        Span<float> sum = stackalloc float[Lanes];
        for (int block = 0; block < _layout.ChannelBlocks; block++)
        {
            // Sums the 16 lanes of every interior pixel: each pixel is one lane vector.
            sum.Clear();
            for (int y = 1; y <= _layout.Height; y++)
                for (int x = 1; x <= _layout.Width; x++)
                    TensorPrimitives.Add(sum, new ReadOnlySpan<float>(data + _layout.Offset(block, y, x), Lanes), sum);
            int channels = Math.Min(Lanes, _layout.Channels - block * Lanes);
            sum[..channels].CopyTo(pooled.Slice(block * Lanes, channels));
        }
        TensorPrimitives.Multiply(pooled, 1f / (_layout.Height * _layout.Width), pooled);
    }

    /// <inheritdoc/>
    public override void CopyActivation(Span<float> nchw)
    {
        RequireBatch();
        int planeLength = _layout.Height * _layout.Width;
        if (nchw.Length != _batch * _layout.Channels * planeLength)
            throw new ArgumentException($"Expected {_batch} x {_layout} floats; found {nchw.Length}.", nameof(nchw));
        float* data = _buffers[_current].Data;
        if (_currentIsPlanar)
        {
            new PaddedPlanarLayout(_layout.Channels, _layout.Height, _layout.Width).CopyTo(data, nchw, _batch);
            return;
        }
        for (int image = 0; image < _batch; image++)
            for (int c = 0; c < _layout.Channels; c++)
            {
                float* block = data + image * _layout.ImageFloats + _layout.Offset(c / Lanes, 1, 1) + c % Lanes;
                Span<float> plane = nchw.Slice((image * _layout.Channels + c) * planeLength, planeLength);
                for (int y = 0; y < _layout.Height; y++)
                    for (int x = 0; x < _layout.Width; x++)
                        plane[y * _layout.Width + x] = block[y * _layout.RowFloats + x * Lanes];
            }
    }

    private static ChannelBlockedLayout OutputLayout(Conv3x3Layer layer) =>
        new(layer.OutChannels, layer.OutHeight, layer.OutWidth);

    private void ReserveBatch(int batch)
    {
        foreach (ActivationBuffer buffer in _buffers)
            buffer.EnsureCapacity(batch * _largestImageFloats);
    }

    /// <summary>Releases both activation buffers and the pooling buffer; the base class calls it once.</summary>
    protected override void Dispose(bool disposing)
    {
        foreach (ActivationBuffer buffer in _buffers)
            buffer.Release();
        _workspace.Release();
        _pooled = [];
    }

    /// <summary>Throws unless the engine is undisposed and holds a loaded batch.</summary>
    private void RequireBatch()
    {
        ThrowIfDisposed();
        if (_batch == 0)
            throw new InvalidOperationException("No batch is loaded; call BeginBatch first.");
    }
}
