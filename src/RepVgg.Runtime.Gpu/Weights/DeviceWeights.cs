using ILGPU;
using ILGPU.Runtime;
using RepVgg.Cpu;
using RepVgg.Gpu.Winograd;

namespace RepVgg.Gpu.Weights;

/// <summary>
/// A model's fused weights on one device, in the kernels' layouts: each conv layer's weights
/// (<see cref="GemmWeightLayout"/>, or <see cref="GpuWinogradWeights"/> for a Winograd layer run as one) and bias
/// (OutChannels, unpadded), then the head's weight and bias, in one buffer. Uploaded once per (accelerator,
/// <see cref="ModelWeights"/>, whether Winograd layers run as direct ones) and shared by every engine built on
/// them: <see cref="Acquire"/> counts the engines, <see cref="Release"/> frees the buffer after the last.
/// </summary>
internal sealed class DeviceWeights
{
    private static readonly Dictionary<(Accelerator, ModelWeights, bool), DeviceWeights> s_uploaded = [];
    private static readonly Lock s_lock = new();

    private readonly (Accelerator Accelerator, ModelWeights Weights, bool AllDirect) _key;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _buffer;
    // Per conv layer, by its weight offset in the blob (the same for every input size): its shape and where it is on the device.
    private readonly Dictionary<long, (Conv3x3Layer Layer, long Weights, long Bias)> _layers;
    private readonly LinearHead _head;
    private readonly long _headWeights;
    private int _engines;

    private DeviceWeights((Accelerator, ModelWeights, bool) key, MemoryBuffer1D<float, Stride1D.Dense> buffer,
        Dictionary<long, (Conv3x3Layer, long, long)> layers, LinearHead head, long headWeights)
    {
        _key = key;
        _buffer = buffer;
        _layers = layers;
        _head = head;
        _headWeights = headWeights;
    }

    /// <summary>Bytes the weights take on the device.</summary>
    public long Bytes => _buffer.LengthInBytes;

    /// <summary>
    /// The device weights of <paramref name="weights"/> on <paramref name="accelerator"/>, uploaded now unless an
    /// engine already holds them. Each call must be paired with one <see cref="Release"/>.
    /// </summary>
    /// <param name="allDirect">Whether every layer gets direct weights, Winograd ones too (the tensor-core kernels run them as direct ones).</param>
    /// <exception cref="ArgumentException"><paramref name="network"/> does not describe the layers the weights were uploaded for.</exception>
    public static DeviceWeights Acquire(Accelerator accelerator, NetworkLayout network, ModelWeights weights, bool allDirect)
    {
        lock (s_lock)
        {
            if (!s_uploaded.TryGetValue((accelerator, weights, allDirect), out DeviceWeights? uploaded))
            {
                uploaded = Upload(accelerator, network, weights, allDirect);
                s_uploaded.Add((accelerator, weights, allDirect), uploaded);
            }
            uploaded.RequireMatches(network);
            uploaded._engines++;
            return uploaded;
        }
    }

    /// <summary>Ends one <see cref="Acquire"/>; the last frees the device buffer.</summary>
    public void Release()
    {
        lock (s_lock)
        {
            if (--_engines > 0)
                return;
            s_uploaded.Remove(_key);
            _key.Accelerator.Bind();
            _buffer.Dispose();
        }
    }

    /// <summary>Whether the weights of <paramref name="weights"/> are on <paramref name="accelerator"/> now, in either form (tests).</summary>
    internal static bool IsUploaded(Accelerator accelerator, ModelWeights weights)
    {
        lock (s_lock) return s_uploaded.ContainsKey((accelerator, weights, false)) || s_uploaded.ContainsKey((accelerator, weights, true));
    }

    /// <summary>The layer's weights, <see cref="GemmWeightLayout"/>.</summary>
    public ArrayView<float> ConvWeights(Conv3x3Layer layer)
    {
        var (_, start, bias) = _layers[layer.WeightOffset];
        return _buffer.View.SubView(start, bias - start);
    }

    /// <summary>The layer's bias, OutChannels floats.</summary>
    public ArrayView<float> ConvBias(Conv3x3Layer layer) => _buffer.View.SubView(_layers[layer.WeightOffset].Bias, layer.OutChannels);

    /// <summary>The head's weight, Classes x Features, row-major.</summary>
    public ArrayView<float> HeadWeight => _buffer.View.SubView(_headWeights, (long)_head.Classes * _head.Features);

    /// <summary>The head's bias, Classes floats.</summary>
    public ArrayView<float> HeadBias => _buffer.View.SubView(_headWeights + (long)_head.Classes * _head.Features, _head.Classes);

    private static DeviceWeights Upload(Accelerator accelerator, NetworkLayout network, ModelWeights weights, bool allDirect)
    {
        accelerator.Bind();
        var layers = new Dictionary<long, (Conv3x3Layer, long, long)>();
        long length = 0;
        foreach (Conv3x3Layer layer in network.Layers)
        {
            long weightLength = layer.Algorithm.IsWinograd() && !allDirect ? GpuWinogradWeights.Length(layer) : (long)layer.OutChannels * (layer.InChannels / layer.Groups) * 9;
            layers[layer.WeightOffset] = (layer, length, length + weightLength);
            length += weightLength + layer.OutChannels;
        }
        long headWeights = length;
        length += ((long)network.Head.Features + 1) * network.Head.Classes;

        MemoryBuffer1D<float, Stride1D.Dense> buffer = accelerator.Allocate1D<float>(length);
        // Each copy synchronizes: the uploads finish before the first engine queues a kernel.
        AcceleratorStream stream = accelerator.DefaultStream;
        try
        {
            // Layer by layer, so the host holds one layer's rearranged copy at a time (a RepVGG-B3 blob is ~0.5 GB).
            foreach (Conv3x3Layer layer in network.Layers)
            {
                var (_, start, bias) = layers[layer.WeightOffset];
                float[] laidOut = KernelWeights(layer, weights, allDirect);
                buffer.View.SubView(start, laidOut.Length).CopyFromCPU(stream, laidOut);
                buffer.View.SubView(bias, layer.OutChannels).CopyFromCPU(stream, weights.Slice(layer.BiasOffset, layer.OutChannels));
            }
            LinearHead head = network.Head;
            int headWeightLength = checked(head.Classes * head.Features);
            buffer.View.SubView(headWeights, headWeightLength).CopyFromCPU(stream, weights.Slice(head.WeightOffset, headWeightLength));
            buffer.View.SubView(headWeights + headWeightLength, head.Classes).CopyFromCPU(stream, weights.Slice(head.BiasOffset, head.Classes));
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
        return new DeviceWeights((accelerator, weights, allDirect), buffer, layers, network.Head, headWeights);
    }

    /// <summary>
    /// A layer's weights in its GPU kernel's layout: the blob's Winograd-transformed weights relaid for the Winograd GEMM
    /// (<see cref="GpuWinogradWeights"/>), or the weights read back as OIHW (untransformed, for a Winograd layer run as
    /// a direct one) and laid out for the implicit GEMMs and the stem kernel (<see cref="GemmWeightLayout"/>).
    /// </summary>
    private static float[] KernelWeights(Conv3x3Layer layer, ModelWeights weights, bool allDirect)
    {
        if (!layer.Algorithm.IsWinograd() || allDirect)
            return GemmWeightLayout.FromOihw(PackedWeightsReader.ReadOihw(layer, weights), layer.InChannels, layer.OutChannels, layer.Groups);
        int packedLength = Conv3x3Packing.PackedWeightLength(layer.Algorithm, layer.InChannels, layer.OutChannels, layer.Groups);
        var relaid = new float[GpuWinogradWeights.Length(layer)];
        GpuWinogradWeights.Repack(weights.Slice(layer.WeightOffset, packedLength), layer, relaid);
        return relaid;
    }

    /// <exception cref="ArgumentException">A layer or the head differs from those uploaded.</exception>
    private void RequireMatches(NetworkLayout network)
    {
        foreach (Conv3x3Layer layer in network.Layers)
        {
            if (!_layers.TryGetValue(layer.WeightOffset, out var uploaded) || !SameWeights(uploaded.Layer, layer))
                throw new ArgumentException(
                    $"Layer {layer.Name} ({layer.InChannels} -> {layer.OutChannels}, {layer.Groups} groups, {layer.Algorithm}, weights at {layer.WeightOffset}) " +
                    "is not one of the layers these weights were uploaded for; expected the same model's layers.", nameof(network));
        }
        if (network.Head != _head)
            throw new ArgumentException($"The head {network.Head} differs from the one these weights were uploaded for ({_head}).", nameof(network));
    }

    private static bool SameWeights(Conv3x3Layer a, Conv3x3Layer b) =>
        (a.InChannels, a.OutChannels, a.Groups, a.BiasOffset, a.Algorithm) == (b.InChannels, b.OutChannels, b.Groups, b.BiasOffset, b.Algorithm);
}
