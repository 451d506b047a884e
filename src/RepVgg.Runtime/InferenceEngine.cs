namespace RepVgg;

/// <summary>
/// Runs a plain RepVGG network one layer at a time. A generated network class owns one engine
/// and calls, in order: <see cref="BeginBatch"/>, <see cref="Conv3x3BiasRelu"/> once per layer,
/// then <see cref="GlobalAveragePoolLinear"/>. The engine keeps the current activation between
/// calls (it ping-pongs between preallocated buffers), so one engine serves one call at a time:
/// the generated class brackets each call with <see cref="BeginCall"/>, which serialises callers and refuses
/// a call nested inside a running one.
/// </summary>
public abstract class InferenceEngine : IDisposable
{
    // The current call's batch size, and the NCHW copy a LayerObserver is shown (kept for the next layer and call).
    private int _batch;
    private float[]? _observed;

    // Held from BeginCall to the end of that call, and by Dispose. Like a Monitor it is re-entrant on its
    // thread, so holding it proves nothing about nesting: _callRunning, set only under it, does.
    private readonly Lock _callLock = new();
    private bool _callRunning;
    // Dispose asked for by the running call's own thread (from inside its observer): done when the call ends.
    private bool _disposeAfterCall;

    protected InferenceEngine(NetworkLayout network, ModelWeights weights)
    {
        Network = network;
        Weights = weights;
    }

    /// <summary>The network this engine was built for.</summary>
    public NetworkLayout Network { get; }

    /// <summary>The fused weights, in the packed layout.</summary>
    public ModelWeights Weights { get; }

    /// <summary>
    /// Makes the engine for <paramref name="backend"/>, computing in float32: <see cref="Backend.Auto"/> is the GPU when
    /// ILGPU finds a CUDA device (and the RepVgg.Runtime.Gpu assembly is present), else the CPU.
    /// </summary>
    /// <exception cref="NotSupportedException"><see cref="Backend.Gpu"/> without a usable CUDA device; the message says why.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="backend"/> is not a defined <see cref="RepVgg.Backend"/>.</exception>
    public static InferenceEngine Create(Backend backend, NetworkLayout network, ModelWeights weights) =>
        Create(backend, network, weights, Precision.Fp32);

    /// <summary>
    /// Makes the engine for <paramref name="backend"/> with its convolutions in <paramref name="precision"/>.
    /// <see cref="Backend.Auto"/> is the GPU engine in that precision when ILGPU finds a CUDA device that can run it
    /// (and the RepVgg.Runtime.Gpu assembly is present), else the CPU engine, which computes in float32: the engine's
    /// <see cref="Precision"/> says which it got.
    /// </summary>
    /// <exception cref="NotSupportedException">
    /// <see cref="Backend.Gpu"/> without a usable CUDA device (or, for a reduced precision, without tensor cores); or
    /// <see cref="Backend.Cpu"/> with a reduced precision, which only a GPU runs. The message says why.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="backend"/> or <paramref name="precision"/> is not a defined value of its enum.
    /// </exception>
    public static InferenceEngine Create(Backend backend, NetworkLayout network, ModelWeights weights, Precision precision)
    {
        if (!Enum.IsDefined(precision))
            throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown precision.");
        return backend switch
        {
            Backend.Cpu when precision != Precision.Fp32 => throw new NotSupportedException(
                $"Precision.{precision} runs on a GPU's tensor cores; the CPU backend computes in float32. " +
                "Use Backend.Gpu, or Backend.Auto to fall back to the CPU in float32, or Precision.Fp32 on the CPU."),
            Backend.Cpu => new Cpu.CpuInferenceEngine(network, weights),
            Backend.Auto => GpuBackend.TryCreateEngine(network, weights, precision, out _) ?? new Cpu.CpuInferenceEngine(network, weights),
            Backend.Gpu => GpuBackend.TryCreateEngine(network, weights, precision, out string? unavailable)
                ?? throw new NotSupportedException($"Backend.Gpu is not available: {unavailable}. " + (precision == Precision.Fp32
                    ? "Use Backend.Cpu, or Backend.Auto to fall back to the CPU."
                    : "Use Backend.Auto to fall back to the CPU in float32, or Backend.Cpu with Precision.Fp32.")),
            _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, "Unknown backend."),
        };
    }

    /// <summary>Where this engine runs: <see cref="Backend.Cpu"/> or <see cref="Backend.Gpu"/>.</summary>
    public abstract Backend Backend { get; }

    /// <summary>The arithmetic its convolutions run in: <see cref="Precision.Fp32"/> but on a GPU engine asked for less.</summary>
    public virtual Precision Precision => Precision.Fp32;

    /// <summary>The device it runs on, e.g. the CPU's name and SIMD width, or the GPU's name.</summary>
    public abstract string DeviceName { get; }

    /// <summary>
    /// Starts one <c>Infer</c> call of <paramref name="owner"/> (the generated class that owns this engine): waits
    /// until no other call runs on this engine, then holds it, with <paramref name="observer"/> as its
    /// <see cref="LayerObserver"/>, until the returned <see cref="EngineCall"/> is disposed.
    /// </summary>
    /// <param name="owner">Named in the exceptions, so they speak of the class the caller used.</param>
    /// <param name="observer">Shown every layer of this call; none after it.</param>
    /// <exception cref="ObjectDisposedException">The engine was disposed, or <see cref="Dispose()"/> was called from inside the running call's observer.</exception>
    /// <exception cref="InvalidOperationException">
    /// A call is already running on this engine on this thread: this call was made from inside its observer. Running it
    /// would overwrite the outer call's activations, so it is refused before it touches them; the outer call, if the
    /// observer catches the exception, goes on unharmed.
    /// </exception>
    public EngineCall BeginCall(object owner, LayerActivationHandler? observer = null)
    {
        ArgumentNullException.ThrowIfNull(owner);
        _callLock.Enter();
        try
        {
            ObjectDisposedException.ThrowIf(IsDisposed || _disposeAfterCall, owner);
            if (_callRunning)
            {
                string name = owner.GetType().Name;
                throw new InvalidOperationException(
                    $"{name}.Infer was called from inside this instance's onLayer callback, while the instance is running the call " +
                    $"that invoked it (the static {name}.Infer runs on one shared instance). An instance runs one call at a time: " +
                    $"use another instance ({name}.Create()) for a nested inference.");
            }
        }
        catch
        {
            _callLock.Exit();
            throw;
        }
        _callRunning = true;
        LayerObserver = observer;
        return new EngineCall(this);
    }

    /// <summary>Ends the call <see cref="BeginCall"/> started, doing a <see cref="Dispose()"/> asked for during it.</summary>
    private void EndCall()
    {
        LayerObserver = null;
        _callRunning = false;
        try
        {
            if (_disposeAfterCall)
                DisposeNow();
        }
        finally
        {
            _callLock.Exit();
        }
    }

    /// <summary>
    /// One call started by <see cref="BeginCall"/>; disposing it (once, by the <c>using</c> that holds it) ends the call
    /// and lets the next caller in.
    /// </summary>
    public readonly ref struct EngineCall
    {
        private readonly InferenceEngine _engine;

        internal EngineCall(InferenceEngine engine) => _engine = engine;

        /// <summary>Ends the call.</summary>
        public void Dispose() => _engine.EndCall();
    }

    /// <summary>
    /// Checks the buffers of one <c>Infer</c> call and loads the images.
    /// <paramref name="images"/> is N x C x H x W floats (NCHW), <paramref name="logits"/> N x Classes.
    /// </summary>
    /// <returns>The batch size N.</returns>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    /// <exception cref="ArgumentException">
    /// A length does not match the network's shapes, or N is larger than <see cref="MaxBatch"/>.
    /// </exception>
    public int BeginBatch(ReadOnlySpan<float> images, Span<float> logits)
    {
        ThrowIfDisposed();
        int image = Network.ImageLength;
        if (images.Length == 0 || images.Length % image != 0)
            throw new ArgumentException(
                $"Expected N x {Network.InputChannels} x {Network.InputHeight} x {Network.InputWidth} floats (NCHW, N >= 1, a multiple of {image}); found {images.Length}.",
                nameof(images));
        int batch = images.Length / image;
        if (batch > MaxBatch)
            throw new ArgumentException(
                $"A batch of {batch} images is too large: this network's activations fit a .NET array for at most {MaxBatch} images per call; split the batch.",
                nameof(images));
        if (logits.Length != batch * Network.Head.Classes)
            throw new ArgumentException(
                $"Expected {batch} x {Network.Head.Classes} = {batch * Network.Head.Classes} logits for a batch of {batch}; found {logits.Length}.",
                nameof(logits));
        LoadInput(images, batch);
        _batch = batch;
        return batch;
    }

    /// <summary>
    /// Receives every layer's output during the following calls, or null (the default) for none. With none,
    /// the only cost is one null check per layer: nothing is copied or allocated.
    /// </summary>
    public LayerActivationHandler? LayerObserver { get; set; }

    /// <summary>
    /// Applies one fused layer to the current activation, then shows the result to <see cref="LayerObserver"/>
    /// when there is one.
    /// </summary>
    public void Conv3x3BiasRelu(Conv3x3Layer layer)
    {
        RunConv3x3BiasRelu(layer);
        if (LayerObserver is { } observer)
            Observe(layer, observer);
    }

    private void Observe(Conv3x3Layer layer, LayerActivationHandler observer)
    {
        int length = _batch * layer.OutChannels * layer.OutHeight * layer.OutWidth;
        if (_observed is null || _observed.Length < length)
            _observed = new float[length];
        Span<float> values = _observed.AsSpan(0, length);
        CopyActivation(values);
        observer(new LayerActivation(layer.Name, _batch, layer.OutChannels, layer.OutHeight, layer.OutWidth, values));
    }

    /// <summary>
    /// Copies the current activation out in NCHW order (the batch x C x H x W floats of the last layer run), as the
    /// engine holds it: in <see cref="Precision.Fp16"/> its values are halves, exactly converted to float32.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="nchw"/> is not the activation's length.</exception>
    public abstract void CopyActivation(Span<float> nchw);

    /// <summary>
    /// The largest batch one call can run: the engine's activation buffers, each sized for the batch, must
    /// fit in a .NET array.
    /// </summary>
    public abstract int MaxBatch { get; }

    /// <summary>
    /// Bytes of buffers the engine holds to run a batch of <paramref name="batch"/> images, beyond the weights:
    /// its activation buffers and any workspace. Allocated on the first call with that batch, kept until a larger
    /// batch or <see cref="Dispose()"/>.
    /// </summary>
    public abstract long BufferBytes(int batch);

    /// <summary>Copies a validated batch into the engine's first activation buffer.</summary>
    protected abstract void LoadInput(ReadOnlySpan<float> images, int batch);

    /// <summary>Applies one fused layer to the current activation (<see cref="Conv3x3BiasRelu"/> runs it).</summary>
    protected abstract void RunConv3x3BiasRelu(Conv3x3Layer layer);

    /// <summary>Pools the current activation over space and applies the classifier, writing N x Classes logits.</summary>
    public abstract void GlobalAveragePoolLinear(LinearHead head, Span<float> logits);

    /// <summary>
    /// Waits until the work queued by the calls so far has finished. A GPU engine queues its kernels on one stream
    /// and synchronizes in <see cref="GlobalAveragePoolLinear"/> (and <see cref="CopyActivation"/>); this lets a
    /// profiler time single layers. The CPU engine's calls finish before they return, so for it this does nothing.
    /// </summary>
    public virtual void Synchronize()
    {
    }

    /// <summary>Whether <see cref="Dispose()"/> has run.</summary>
    protected bool IsDisposed { get; private set; }

    /// <summary>
    /// Releases the engine's buffers once the call running on it (<see cref="BeginCall"/>) has ended: on another thread
    /// it waits for that call; from inside the call's own observer it returns at once and the buffers are released
    /// when the call ends, since the call still reads them. Idempotent; every call begun after it returns throws
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        lock (_callLock)
        {
            // Held, with a call running: only that call's thread gets here (others wait at the lock).
            if (_callRunning)
                _disposeAfterCall = true;
            else
                DisposeNow();
        }
    }

    private void DisposeNow()
    {
        if (IsDisposed)
            return;
        IsDisposed = true;
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the backend's buffers; called once, by the first <see cref="Dispose()"/> (after any running call).</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once the engine is disposed.</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);
}
