using ILGPU;
using ILGPU.Runtime;
using RepVgg.Manifest;
using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;
using RepVgg.Gpu.Weights;
using RepVgg.Gpu.Winograd;
using ConvKernel = System.Action<ILGPU.Runtime.AcceleratorStream, ILGPU.KernelConfig, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>,
    ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, RepVgg.Gpu.Kernels.ConvShape>;
// One thread per value, over an activation of (channels, plane): the pooling and the transposes.
using PlaneKernel = System.Action<ILGPU.Runtime.AcceleratorStream, ILGPU.Index1D, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, int, int>;
using ScaleKernel = System.Action<ILGPU.Runtime.AcceleratorStream, ILGPU.Index1D, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, int, int, int>;
using DenseLaunch = System.Action<ILGPU.Runtime.AcceleratorStream, ILGPU.KernelConfig, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>,
    ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, int>;

namespace RepVgg.Gpu;

/// <summary>
/// Runs a plain RepVGG network with ILGPU kernels on one accelerator (a CUDA GPU, or ILGPU's CPU accelerator in
/// tests). Every kernel is queued on the engine's own stream; <see cref="GlobalAveragePoolLinear"/> copies the
/// logits back, which waits once per <c>Infer</c>.
/// </summary>
/// <remarks>
/// <para>
/// In float32 activations stay NCHW on the device, as at the API boundary: the input and <see cref="CopyActivation"/>
/// are plain copies, and in the convolution's implicit GEMM the N dimension (image, y, x) runs along an NCHW plane,
/// so its tile loads (at stride 1) and stores are coalesced. In a reduced precision they are channels last, where the
/// channels the tensor-core kernel stages at one tap of a pixel lie side by side, each value stored in the format its
/// mma would round it to anyway: float32 rounded to TF32 (<see cref="NhwcTf32"/>), or half precision in FP16
/// (<see cref="NhwcHalf{TTarget}"/>). The input is transposed and rounded on the device as it arrives, and <see cref="CopyActivation"/> transposes back. Two
/// device buffers, each sized for the largest activation of the batch in float32 (the input arrives in float32, and
/// <see cref="CopyActivation"/> hands activations out in it, through the other buffer), take turns as a layer's input and output. The fused
/// weights are <see cref="DeviceWeights"/>, shared with the other engines built on the same <see cref="ModelWeights"/>
/// and accelerator.
/// </para>
/// <para>
/// In float32 each layer runs the kernel the weights step planned for it: Winograd where it chose Winograd, else the
/// implicit GEMM (<see cref="Conv3x3GemmKernel"/>), or the stem kernel for few input channels. Both GEMMs run with
/// 64 x 64 or 128 x 128 tiles (<see cref="TileGemm"/>),
/// chosen per layer and batch by how many groups the large tiles would give the device (<see cref="GemmTilePolicy"/>). In a reduced precision
/// every layer but a stem-kernel one runs the tensor-core implicit GEMM (<see cref="Conv3x3MmaKernel"/>), Winograd layers too,
/// on their weights untransformed: rounding Winograd's transformed values to 10 mantissa bits would multiply the
/// error. (On an H200 the float32 Winograd layers ran faster than the TF32 tensor-core kernel on the same layers:
/// docs/gpu.md.) Those weights are rounded and packed as mma fragments when
/// they are uploaded (<see cref="MmaWeightLayout"/>), so the kernel only copies them.
/// </para>
/// </remarks>
public sealed class GpuInferenceEngine : InferenceEngine
{
    // Kept free of activations, for the weights of further models and the driver's own needs.
    private const double UsableMemoryFraction = 0.9;

    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly DeviceWeights _weights;
    // The implicit GEMM that runs every layer but Winograd ones and the stem: float32, or on tensor cores; with small
    // tiles, and with large tiles for layers that fill the device with them; on tensor cores, the Scalar ones for
    // layers that read their channels one by one (UsesScalarReads). All but the first compiled on first use: a network
    // at batch 1 never needs the large tiles, and RepVGG never the scalar reads.
    private readonly ConvKernel _gemmConv;
    private readonly Func<ConvShape, int, KernelConfig> _gemmConfig, _largeGemmConfig;
    private readonly Lazy<ConvKernel> _largeGemmConv, _scalarGemmConv, _largeScalarGemmConv;
    private readonly GemmTilePolicy _tiles;
    // The tensor-core GEMM with vector reads from outside the product, if a test or the GPU check supplied one.
    private readonly ITensorCoreGemmSource? _vectorReadsGemm;
    // The stem, the pooling and the transposes, in the engine's activation layout: NCHW float32 in FP32, channels last in
    // TF32-rounded float32 in TF32 and in half precision in FP16.
    private readonly LayoutKernels _layout;
    // The Winograd layers' three kernels; null when the network has none.
    private readonly GpuWinogradConvolution? _winograd;
    private readonly DenseLaunch _head;
    // The squeeze-and-excitation's two products (down with ReLU, up with sigmoid); null when the network has none.
    private readonly (DenseLaunch Down, DenseLaunch Up)? _squeeze;
    // The widest squeeze-and-excitation: its channels and its reduced width (0 without one).
    private readonly (int Channels, int Internal) _widestSqueeze;

    // Floats of the largest activation of one image: the input or any layer's output.
    private readonly long _largestActivation;

    // The activation buffers (each capacity x _largestActivation floats), the Winograd layers' workspace (transformed
    // tiles and their products, for the largest such layer), the pooled features and logits (capacity rows), and the
    // squeeze-and-excitation's channel means, reduced values and gates (capacity rows of the widest).
    private MemoryBuffer1D<float, Stride1D.Dense>? _current, _next, _workspace, _pooled, _logits, _squeezeMeans, _squeezeHidden, _squeezeGates;
    private int _capacity;

    // The batch of the current call and the shape (C, H, W) of the activation in _current.
    private int _batch;
    private (int Channels, int Height, int Width) _shape;

    /// <summary>An engine on <paramref name="accelerator"/>, its kernels chosen as <see cref="KernelOverrides.Current"/> says (none but in tests and the GPU check).</summary>
    internal GpuInferenceEngine(Accelerator accelerator, NetworkLayout network, ModelWeights weights, Precision precision)
        : base(network, weights)
    {
        _accelerator = accelerator;
        Precision = precision;
        (GemmTileSize tiles, bool allDirect, _vectorReadsGemm) = KernelOverrides.Current;
        _tiles = new GemmTilePolicy(tiles, accelerator.NumMultiprocessors);
        _largestActivation = network.Layers.Aggregate((long)network.ImageLength,
            (largest, layer) => Math.Max(largest, (long)layer.OutChannels * layer.OutHeight * layer.OutWidth));
        bool squeezes = network.Layers.Any(layer => layer.Squeeze is not null);
        (ImplicitGemm implicitGemm, _layout) = KernelsFor(accelerator, precision, _vectorReadsGemm, squeezes);
        (Func<ConvKernel> loadGemm, _gemmConfig) = implicitGemm(large: false, vectorReads: true);
        _gemmConv = loadGemm();
        (Func<ConvKernel> loadLargeGemm, _largeGemmConfig) = implicitGemm(large: true, vectorReads: true);
        _largeGemmConv = new(loadLargeGemm);
        _scalarGemmConv = new(implicitGemm(large: false, vectorReads: false).Load);
        _largeScalarGemmConv = new(implicitGemm(large: true, vectorReads: false).Load);
        _winograd = precision == Precision.Fp32 && !allDirect && network.Layers.Any(layer => layer.Algorithm.IsWinograd())
            ? new GpuWinogradConvolution(accelerator) : null;
        _head = LoadDense<DenseKernel.Identity>(accelerator);
        if (squeezes)
        {
            _squeeze = (LoadDense<DenseKernel.Relu>(accelerator), LoadDense<DenseKernel.Sigmoid>(accelerator));
            _widestSqueeze = (network.Layers.Where(l => l.Squeeze is not null).Max(l => l.OutChannels),
                network.Layers.Where(l => l.Squeeze is not null).Max(l => l.Squeeze!.InternalChannels));
        }
        _weights = DeviceWeights.Acquire(accelerator, network, weights, precision switch
        {
            Precision.Tf32 => ConvWeightForm.Tf32Fragments,
            Precision.Fp16 => ConvWeightForm.Fp16Fragments,
            _ => allDirect ? ConvWeightForm.Direct : ConvWeightForm.Planned,
        });
        _stream = accelerator.CreateStream();
    }

    /// <inheritdoc/>
    public override Backend Backend => Backend.Gpu;

    /// <inheritdoc/>
    public override string DeviceName => _accelerator.Name;

    /// <inheritdoc/>
    public override Precision Precision { get; }

    /// <summary>
    /// The largest batch one call can run: its two activation buffers must fit the device's memory beside the
    /// weights, and each must be indexable by an int (the kernels' indices).
    /// </summary>
    public override int MaxBatch
    {
        get
        {
            long byIndex = int.MaxValue / _largestActivation;
            double usable = _accelerator.MemorySize * UsableMemoryFraction - _weights.Bytes;
            long byMemory = (long)Math.Max(0, usable / BufferBytes(1));
            return (int)Math.Min(byIndex, byMemory);
        }
    }

    /// <inheritdoc/>
    public override long BufferBytes(int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        long perImage = 2 * _largestActivation + Network.Head.Features + Network.Head.Classes + 2 * _widestSqueeze.Channels + _widestSqueeze.Internal;
        return (perImage * batch + WorkspaceFloats(batch)) * sizeof(float);
    }

    /// <inheritdoc/>
    protected override void LoadInput(ReadOnlySpan<float> images, int batch)
    {
        _accelerator.Bind();
        EnsureCapacity(batch);
        _batch = batch;
        _shape = (Network.InputChannels, Network.InputHeight, Network.InputWidth);
        if (_layout.ToChannelsLast is not { } toChannelsLast)
        {
            _current!.View.SubView(0, images.Length).CopyFromCPU(_stream, images);
            return;
        }
        _next!.View.SubView(0, images.Length).CopyFromCPU(_stream, images);
        toChannelsLast(_stream, images.Length, _next.View, _current!.View, _shape.Channels, _shape.Height * _shape.Width);
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">No batch was begun, or the layer's input is not the current activation's shape.</exception>
    protected override void RunConv3x3BiasRelu(Conv3x3Layer layer)
    {
        EnterDevice();
        if (_batch == 0 || _shape != (layer.InChannels, layer.InHeight, layer.InWidth))
            throw new InvalidOperationException(
                $"Layer {layer.Name} takes {layer.InChannels} x {layer.InHeight} x {layer.InWidth} activations; the current one is " +
                (_batch == 0 ? "missing (call BeginBatch first)." : $"{_shape.Channels} x {_shape.Height} x {_shape.Width}."));
        var shape = new ConvShape(layer, _batch);
        ArrayView<float> input = _current!.View, output = _next!.View;
        ArrayView<float> weights = _weights.ConvWeights(layer), bias = _weights.ConvBias(layer);
        switch (KernelOf(layer, shape))
        {
            case LayerKernel.Winograd:
                _winograd!.Enqueue(_stream, input, output, weights, bias, _workspace!.View, layer, _batch, _tiles);
                break;
            case LayerKernel.Stem:
                _layout.Stem(_stream, StemConv3x3Kernel.Config(shape), input, weights, bias, output, shape);
                break;
            case LayerKernel.LargeGemm:
                (UsesScalarReads(shape) ? _largeScalarGemmConv : _largeGemmConv).Value(_stream, _largeGemmConfig(shape, layer.Groups), input, weights, bias, output, shape);
                break;
            default:
                (UsesScalarReads(shape) ? _scalarGemmConv.Value : _gemmConv)(_stream, _gemmConfig(shape, layer.Groups), input, weights, bias, output, shape);
                break;
        }
        (_current, _next) = (_next, _current);
        _shape = (layer.OutChannels, layer.OutHeight, layer.OutWidth);
        if (layer.Squeeze is { } squeeze)
            SqueezeExcite(layer, squeeze);
    }

    /// <summary>The layer's squeeze-and-excitation on the current activation, in place (<see cref="SqueezeExcitationKernel"/>).</summary>
    private void SqueezeExcite(Conv3x3Layer layer, SqueezeExcitationUnit squeeze)
    {
        var (down, downBias, up, upBias) = _weights.Squeeze(layer);
        int channels = layer.OutChannels, plane = layer.OutHeight * layer.OutWidth;
        ArrayView<float> means = _squeezeMeans!.View, hidden = _squeezeHidden!.View, gates = _squeezeGates!.View;
        _layout.Pool(_stream, _batch * channels, _current!.View, means, channels, plane);
        _squeeze!.Value.Down(_stream, DenseKernel.Config(squeeze.InternalChannels, _batch), means, down, downBias, hidden, channels);
        _squeeze.Value.Up(_stream, DenseKernel.Config(channels, _batch), hidden, up, upBias, gates, squeeze.InternalChannels);
        _layout.Scale!(_stream, _batch * channels * plane, _current.View, gates, channels, plane, squeeze.Placement == SqueezePlacement.BeforeRelu ? 1 : 0);
    }

    /// <summary>
    /// The implicit GEMM with small or large tiles, as a loader (which compiles it) and its launch, reading its input
    /// channels as vectors or one by one (<see cref="VectorReads"/>; float32 has one kernel for both).
    /// </summary>
    private delegate (Func<ConvKernel> Load, Func<ConvShape, int, KernelConfig> Config) ImplicitGemm(bool large, bool vectorReads);

    /// <summary>
    /// The kernels of <paramref name="precision"/>, the one place that pairs each with its activation layout: float32's
    /// GEMM on NCHW float32; the tensor-core GEMM of the format on channels last, TF32-rounded float32 in TF32 and half
    /// precision in FP16, with PTX mma on CUDA and emulated mma elsewhere (ILGPU's CPU accelerator).
    /// </summary>
    private static (ImplicitGemm Gemm, LayoutKernels Layout) KernelsFor(Accelerator accelerator, Precision precision, ITensorCoreGemmSource? vectorReadsGemm,
        bool squeezes)
    {
        bool ptx = accelerator.AcceleratorType == AcceleratorType.Cuda;
        return precision switch
        {
            Precision.Fp32 => ((large, _) => large
                    ? (() => Load(accelerator, Conv3x3GemmKernel.RunLarge, Conv3x3GemmKernel.Threads, TileGemm.LargeResidentGroups), Conv3x3GemmKernel.LargeConfig)
                    : (() => Load(accelerator, Conv3x3GemmKernel.Run, Conv3x3GemmKernel.Threads), Conv3x3GemmKernel.Config),
                LayoutKernels.Load<Nchw>(accelerator, channelsLast: false, squeezes)),
            Precision.Tf32 => ptx ? TensorCoreKernels<Tf32Format<PtxTensorCores>, PtxTensorCores, NhwcTf32>(accelerator, vectorReadsGemm, squeezes)
                : TensorCoreKernels<Tf32Format<EmulatedTensorCores>, EmulatedTensorCores, NhwcTf32>(accelerator, vectorReadsGemm, squeezes),
            Precision.Fp16 => ptx ? TensorCoreKernels<Fp16Format<PtxTensorCores>, PtxTensorCores, NhwcHalf<PtxTensorCores>>(accelerator, vectorReadsGemm, squeezes)
                : TensorCoreKernels<Fp16Format<EmulatedTensorCores>, EmulatedTensorCores, NhwcHalf<EmulatedTensorCores>>(accelerator, vectorReadsGemm, squeezes),
            _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown precision."),
        };
    }

    private static (ImplicitGemm Gemm, LayoutKernels Layout) TensorCoreKernels<TFormat, TTarget, TLayout>(Accelerator accelerator,
        ITensorCoreGemmSource? vectorReadsGemm, bool squeezes)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout =>
        ((large, vectorReads) => vectorReads && vectorReadsGemm is not null
                ? vectorReadsGemm.Gemm<TFormat, TTarget, TLayout>(accelerator, large)
                : vectorReads ? TensorCoreGemm<TFormat, TTarget, TLayout, VectorReads, RegisterCopies>(accelerator, large)
                : TensorCoreGemm<TFormat, TTarget, TLayout, ScalarReads, RegisterCopies>(accelerator, large),
            LayoutKernels.Load<TLayout>(accelerator, channelsLast: true, squeezes));

    /// <summary>
    /// The tensor-core kernel staging as <typeparamref name="TCopies"/> says (the engine's: <see cref="RegisterCopies"/>)
    /// with small or <paramref name="large"/> tiles, as a loader and its launch; each call hands the kernel the device
    /// addresses of its input and weights, for a staging that copies by address.
    /// </summary>
    internal static (Func<ConvKernel> Load, Func<ConvShape, int, KernelConfig> Config) TensorCoreGemm<TFormat, TTarget, TLayout, TReads, TCopies>(
        Accelerator accelerator, bool large)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
        where TCopies : struct, IStagingCopies
    {
        var (kernel, threads, residentGroups, config) = Conv3x3MmaKernel.Entry<TFormat, TTarget, TLayout, TReads, TCopies>(large);
        return (() =>
        {
            var loaded = accelerator.LoadGroupedKernel(kernel, threads, residentGroups);
            return (stream, launch, input, weights, bias, output, shape) => loaded(stream, launch, input, weights, bias, output, shape, OperandAddresses.Of(input, weights));
        }, config);
    }

    /// <summary>The <see cref="DenseKernel"/> with <typeparamref name="TGate"/>, compiled.</summary>
    private static DenseLaunch LoadDense<TGate>(Accelerator accelerator) where TGate : struct, DenseKernel.IGate =>
        accelerator.LoadGroupedKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(DenseKernel.Run<TGate>, DenseKernel.Threads);

    private static ConvKernel Load(Accelerator accelerator, Action<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape> kernel, int threads,
        int? groupsPerMultiprocessor = null) =>
        accelerator.LoadGroupedKernel(kernel, threads, groupsPerMultiprocessor);

    /// <summary>Whether a tensor-core layer reads its input channels one by one: its groups' channels are not a multiple of a 16-byte line's values.</summary>
    private bool UsesScalarReads(ConvShape shape) => Precision != Precision.Fp32 && !VectorReads.Of(shape, _layout.ValuesPerLine);

    /// <summary>Whether this engine runs <paramref name="layer"/> with Winograd: planned so, in float32, and not made to run every layer direct.</summary>
    private bool RunsWinograd(Conv3x3Layer layer) => _winograd is not null && layer.Algorithm.IsWinograd();

    /// <summary>The kernels a layer can run: the GEMMs are the tensor-core ones in a reduced precision.</summary>
    private enum LayerKernel { Winograd, Stem, Gemm, LargeGemm }

    /// <summary>
    /// Which kernel runs <paramref name="layer"/> for <paramref name="shape"/> (its batch): in float32, a layer the weights step planned
    /// for Winograd runs Winograd here too, with the blob's transformed weights; the stem kernel takes few input channels;
    /// the implicit GEMM (in float32 or on tensor cores) the rest, with large tiles where <see cref="GemmTilePolicy"/> says so.
    /// </summary>
    private LayerKernel KernelOf(Conv3x3Layer layer, ConvShape shape)
    {
        if (RunsWinograd(layer))
            return LayerKernel.Winograd;
        if (StemConv3x3Kernel.Handles(layer))
            return LayerKernel.Stem;
        return _tiles.UsesLarge(_largeGemmConfig(shape, layer.Groups), shape.OutPerGroup) ? LayerKernel.LargeGemm : LayerKernel.Gemm;
    }

    /// <summary>
    /// What runs <paramref name="layer"/> at <paramref name="batch"/> images, for reports (tools/gpu-check): the kernel's
    /// name in the generated layer table (<see cref="GpuKernels"/>, or the Winograd algorithm), a GEMM's tiles, and
    /// "scalar reads" for a tensor-core layer that reads its channels one by one (<see cref="ScalarReads"/>).
    /// </summary>
    internal string DescribeKernel(Conv3x3Layer layer, int batch)
    {
        var shape = new ConvShape(layer, batch);
        return KernelOf(layer, shape) switch
        {
            LayerKernel.Winograd => $"{layer.Algorithm}, {TileName(GpuWinogradConvolution.UsesLargeTiles(layer, batch, _tiles))}",
            LayerKernel.Stem => GpuKernels.StemDirect,
            var gemm when Precision == Precision.Fp32 => $"{GpuKernels.ImplicitGemm}, {TileName(gemm == LayerKernel.LargeGemm)}",
            var gemm => $"{GpuKernels.ImplicitGemmMma}, {ReadsName(shape)}{TileName(gemm == LayerKernel.LargeGemm)}",
        };
    }

    private static string TileName(bool large) => large ? "128 x 128 tiles" : "64 x 64 tiles";

    private string ReadsName(ConvShape shape) =>
        UsesScalarReads(shape) ? "scalar reads, " : _vectorReadsGemm is { } gemm ? $"{gemm.Name}, " : "";

    /// <summary>Floats of Winograd workspace a batch needs: the largest Winograd layer's (one layer runs at a time); none in a reduced precision.</summary>
    private long WorkspaceFloats(int batch) =>
        Network.Layers.Where(RunsWinograd).Select(layer => GpuWinogradConvolution.WorkspaceFloats(layer, batch)).DefaultIfEmpty(0).Max();

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is not batch x Classes, or the activation is not Features channels.</exception>
    public override void GlobalAveragePoolLinear(LinearHead head, Span<float> logits)
    {
        EnterDevice();
        if (_shape.Channels != head.Features)
            throw new ArgumentException($"The head takes {head.Features} features; the current activation has {_shape.Channels} channels.", nameof(head));
        if (logits.Length != _batch * head.Classes)
            throw new ArgumentException($"Expected {_batch} x {head.Classes} = {_batch * head.Classes} logits; found {logits.Length}.", nameof(logits));
        int features = _batch * head.Features;
        _layout.Pool(_stream, features, _current!.View, _pooled!.View, _shape.Channels, _shape.Height * _shape.Width);
        _head(_stream, DenseKernel.Config(head.Classes, _batch), _pooled.View, _weights.HeadWeight, _weights.HeadBias, _logits!.View, head.Features);
        _logits.View.SubView(0, logits.Length).CopyToCPU(_stream, logits);
    }

    /// <inheritdoc/>
    public override void CopyActivation(Span<float> nchw)
    {
        EnterDevice();
        long length = (long)_batch * _shape.Channels * _shape.Height * _shape.Width;
        if (nchw.Length != length)
            throw new ArgumentException(
                $"Expected {_batch} x {_shape.Channels} x {_shape.Height} x {_shape.Width} = {length} floats; found {nchw.Length}.", nameof(nchw));
        if (_layout.ToChannelsFirst is not { } toChannelsFirst)
        {
            _current!.View.SubView(0, length).CopyToCPU(_stream, nchw);
            return;
        }
        // The next layer's output buffer is free until it runs; float32 NCHW fits it, as every buffer holds the largest
        // activation in float32.
        toChannelsFirst(_stream, (int)length, _current!.View, _next!.View, _shape.Channels, _shape.Height * _shape.Width);
        _next.View.SubView(0, length).CopyToCPU(_stream, nchw);
    }

    /// <inheritdoc/>
    public override void Synchronize()
    {
        EnterDevice();
        _stream.Synchronize();
    }

    /// <summary>
    /// Checks the engine is not disposed and makes its accelerator current on this thread: CUDA runs a thread's calls
    /// in its current context, and a generated class may be called from any thread (ILGPU's Bind is a no-op when it is current).
    /// </summary>
    private void EnterDevice()
    {
        ThrowIfDisposed();
        _accelerator.Bind();
    }

    /// <summary>Allocates the buffers for <paramref name="batch"/> images unless those held are large enough.</summary>
    private void EnsureCapacity(int batch)
    {
        if (batch <= _capacity)
            return;
        FreeBuffers();
        _current = _accelerator.Allocate1D<float>(batch * _largestActivation);
        _next = _accelerator.Allocate1D<float>(batch * _largestActivation);
        if (_winograd is not null)
            _workspace = _accelerator.Allocate1D<float>(WorkspaceFloats(batch));
        _pooled = _accelerator.Allocate1D<float>((long)batch * Network.Head.Features);
        _logits = _accelerator.Allocate1D<float>((long)batch * Network.Head.Classes);
        if (_squeeze is not null)
        {
            _squeezeMeans = _accelerator.Allocate1D<float>((long)batch * _widestSqueeze.Channels);
            _squeezeHidden = _accelerator.Allocate1D<float>((long)batch * _widestSqueeze.Internal);
            _squeezeGates = _accelerator.Allocate1D<float>((long)batch * _widestSqueeze.Channels);
        }
        _capacity = batch;
    }

    private void FreeBuffers()
    {
        _stream.Synchronize();
        foreach (MemoryBuffer? buffer in new MemoryBuffer?[] { _current, _next, _workspace, _pooled, _logits, _squeezeMeans, _squeezeHidden, _squeezeGates })
            buffer?.Dispose();
        (_current, _next, _workspace, _pooled, _logits, _capacity) = (null, null, null, null, null, 0);
        (_squeezeMeans, _squeezeHidden, _squeezeGates) = (null, null, null);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        _accelerator.Bind();
        FreeBuffers();
        _stream.Dispose();
        _weights.Release();
    }

    /// <summary>
    /// The kernels that read or write activations other than the GEMMs, in the engine's layout (<see cref="IActivationLayout"/>):
    /// the stem, the pooling, for channels last the transposes from and to the API's NCHW float32, and for a network with
    /// squeeze-and-excitation its scaling.
    /// </summary>
    private sealed record LayoutKernels(ConvKernel Stem, PlaneKernel Pool, PlaneKernel? ToChannelsLast, PlaneKernel? ToChannelsFirst, ScaleKernel? Scale,
        int ValuesPerLine)
    {
        public static LayoutKernels Load<TLayout>(Accelerator accelerator, bool channelsLast, bool squeezes) where TLayout : struct, IActivationLayout => new(
            GpuInferenceEngine.Load(accelerator, StemConv3x3Kernel.Run<TLayout>, StemConv3x3Kernel.Threads),
            accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(GlobalAveragePoolKernel.Run<TLayout>),
            channelsLast ? accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(ActivationTransposeKernel.ToChannelsLast<TLayout>) : null,
            channelsLast ? accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(ActivationTransposeKernel.ToChannelsFirst<TLayout>) : null,
            squeezes ? accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(SqueezeExcitationKernel.Scale<TLayout>) : null,
            default(TLayout).ValuesPerLine);
    }
}
