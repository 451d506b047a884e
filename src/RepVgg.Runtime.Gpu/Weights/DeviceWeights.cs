using System.Globalization;
using ILGPU;
using ILGPU.Runtime;
using RepVgg.Cpu;
using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;
using RepVgg.Gpu.Winograd;

namespace RepVgg.Gpu.Weights;

/// <summary>
/// How an engine's conv kernels read their weights, which follows from its precision: the layers the stem kernel runs
/// read <see cref="StemWeightLayout"/> in every form.
/// </summary>
internal enum ConvWeightForm
{
    /// <summary>Float32 as the weights step planned: <see cref="GpuWinogradWeights"/> for Winograd layers, <see cref="TapQuadWeightLayout"/> for the rest.</summary>
    Planned,

    /// <summary>Float32, every layer <see cref="TapQuadWeightLayout"/>, Winograd ones untransformed (an engine made to run every layer direct).</summary>
    Direct,

    /// <summary><see cref="MmaWeightLayout"/> in TF32 for the tensor-core kernel, Winograd layers untransformed.</summary>
    Tf32Fragments,

    /// <summary><see cref="MmaWeightLayout"/> in FP16 for the tensor-core kernel, Winograd layers untransformed.</summary>
    Fp16Fragments,
}

/// <summary>
/// A model's fused weights on one device, in the kernels' layouts (<see cref="ConvWeightForm"/>): each conv layer's
/// weights, starting on a 16-byte boundary, bias (OutChannels, unpadded) and squeeze-and-excitation tensors, then the
/// head's weight and bias, in one buffer. Uploaded once per (accelerator, <see cref="ModelWeights"/>, form) and shared by every engine built on
/// them: <see cref="Acquire"/> counts the engines, <see cref="Release"/> frees the buffer after the last.
/// </summary>
internal sealed class DeviceWeights
{
    // Floats of the alignment of each layer's weights: the tensor-core kernel reads them 16 bytes at a time.
    private const int LayerAlignment = 4;

    private static readonly Dictionary<(Accelerator, ModelWeights, ConvWeightForm), DeviceWeights> s_uploaded = [];
    private static readonly Lock s_lock = new();

    private readonly (Accelerator Accelerator, ModelWeights Weights, ConvWeightForm Form) _key;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _buffer;
    // Per conv layer, by its weight offset in the blob (the same for every input size): its shape and where it is on the
    // device: weights, bias, and its squeeze-and-excitation's four tensors after the bias (none when Squeeze is Bias).
    private readonly Dictionary<long, (Conv3x3Layer Layer, long Weights, long Bias, long Squeeze)> _layers;
    private readonly LinearHead _head;
    private readonly long _headWeights;
    private int _engines;

    private DeviceWeights((Accelerator, ModelWeights, ConvWeightForm) key, MemoryBuffer1D<float, Stride1D.Dense> buffer,
        Dictionary<long, (Conv3x3Layer, long, long, long)> layers, LinearHead head, long headWeights)
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
    /// <param name="form">The layout the engine's kernels read.</param>
    /// <exception cref="ArgumentException"><paramref name="network"/> does not describe the layers the weights were uploaded for.</exception>
    public static DeviceWeights Acquire(Accelerator accelerator, NetworkLayout network, ModelWeights weights, ConvWeightForm form)
    {
        lock (s_lock)
        {
            if (!s_uploaded.TryGetValue((accelerator, weights, form), out DeviceWeights? uploaded))
            {
                uploaded = Upload(accelerator, network, weights, form);
                s_uploaded.Add((accelerator, weights, form), uploaded);
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

    /// <summary>Whether the weights of <paramref name="weights"/> are on <paramref name="accelerator"/> now, in any form (tests).</summary>
    internal static bool IsUploaded(Accelerator accelerator, ModelWeights weights)
    {
        lock (s_lock) return s_uploaded.Keys.Any(key => key.Item1 == accelerator && key.Item2 == weights);
    }

    /// <summary>The layer's weights in its kernel's layout (<see cref="ConvWeightForm"/>), as floats or the bits of 32-bit words.</summary>
    public ArrayView<float> ConvWeights(Conv3x3Layer layer)
    {
        var (_, start, bias, _) = _layers[layer.WeightOffset];
        return _buffer.View.SubView(start, bias - start);
    }

    /// <summary>
    /// The layer's squeeze-and-excitation tensors as the blob holds them: the down weight (InternalChannels x OutChannels,
    /// row-major), its bias, the up weight (OutChannels x InternalChannels) and its bias.
    /// </summary>
    public (ArrayView<float> Down, ArrayView<float> DownBias, ArrayView<float> Up, ArrayView<float> UpBias) Squeeze(Conv3x3Layer layer)
    {
        long start = _layers[layer.WeightOffset].Squeeze;
        int channels = layer.OutChannels, inner = layer.Squeeze!.InternalChannels;
        long matrix = (long)channels * inner;
        return (_buffer.View.SubView(start, matrix), _buffer.View.SubView(start + matrix, inner),
            _buffer.View.SubView(start + matrix + inner, matrix), _buffer.View.SubView(start + 2 * matrix + inner, channels));
    }

    /// <summary>The layer's bias, OutChannels floats.</summary>
    public ArrayView<float> ConvBias(Conv3x3Layer layer) => _buffer.View.SubView(_layers[layer.WeightOffset].Bias, layer.OutChannels);

    /// <summary>The head's weight, Classes x Features, row-major.</summary>
    public ArrayView<float> HeadWeight => _buffer.View.SubView(_headWeights, (long)_head.Classes * _head.Features);

    /// <summary>The head's bias, Classes floats.</summary>
    public ArrayView<float> HeadBias => _buffer.View.SubView(_headWeights + (long)_head.Classes * _head.Features, _head.Classes);

    private static DeviceWeights Upload(Accelerator accelerator, NetworkLayout network, ModelWeights weights, ConvWeightForm form)
    {
        accelerator.Bind();
        var layers = new Dictionary<long, (Conv3x3Layer, long, long, long)>();
        long length = 0;
        foreach (Conv3x3Layer layer in network.Layers)
        {
            length = (length + LayerAlignment - 1) / LayerAlignment * LayerAlignment;
            long weightLength = LayoutOf(layer, form) switch
            {
                LayerLayout.Winograd => GpuWinogradWeights.Length(layer),
                LayerLayout.Tf32Fragments => MmaWeightLayout.Length(layer, default(Tf32Format<EmulatedTensorCores>).ValuesPerWord),
                LayerLayout.Fp16Fragments => MmaWeightLayout.Length(layer, default(Fp16Format<EmulatedTensorCores>).ValuesPerWord),
                LayerLayout.TapQuads => TapQuadWeightLayout.Length(layer),
                _ => (long)layer.OutChannels * (layer.InChannels / layer.Groups) * 9,
            };
            layers[layer.WeightOffset] = (layer, length, length + weightLength, length + weightLength + layer.OutChannels);
            length += weightLength + layer.OutChannels + SqueezeFloats(layer);
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
                var (_, start, bias, squeeze) = layers[layer.WeightOffset];
                UploadKernelWeights(buffer.View.SubView(start, bias - start), stream, layer, weights, form);
                buffer.View.SubView(bias, layer.OutChannels).CopyFromCPU(stream, weights.Slice(layer.BiasOffset, layer.OutChannels));
                if (layer.Squeeze is { } unit)
                {
                    int matrix = checked(layer.OutChannels * unit.InternalChannels);
                    foreach ((long offset, int floats) in new[]
                    {
                        (unit.DownWeightOffset, matrix), (unit.DownBiasOffset, unit.InternalChannels),
                        (unit.UpWeightOffset, matrix), (unit.UpBiasOffset, layer.OutChannels),
                    })
                    {
                        buffer.View.SubView(squeeze, floats).CopyFromCPU(stream, weights.Slice(offset, floats));
                        squeeze += floats;
                    }
                }
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
        return new DeviceWeights((accelerator, weights, form), buffer, layers, network.Head, headWeights);
    }

    /// <summary>Floats of a layer's squeeze-and-excitation tensors: two matrices and two biases, or none.</summary>
    private static long SqueezeFloats(Conv3x3Layer layer) =>
        layer.Squeeze is { } unit ? 2L * layer.OutChannels * unit.InternalChannels + unit.InternalChannels + layer.OutChannels : 0;

    /// <summary>The layouts a layer's weights can take on the device.</summary>
    private enum LayerLayout { Stem, TapQuads, Winograd, Tf32Fragments, Fp16Fragments }

    /// <summary>
    /// The layout of <paramref name="layer"/>'s weights in <paramref name="form"/>, for the kernel the engine runs it
    /// with: Winograd where the float32 plan keeps it, then <see cref="StemWeightLayout"/> for the stem kernel, and for the
    /// rest <see cref="TapQuadWeightLayout"/> (float32) or the tensor-core fragments.
    /// </summary>
    private static LayerLayout LayoutOf(Conv3x3Layer layer, ConvWeightForm form) => form switch
    {
        ConvWeightForm.Planned when layer.Algorithm.IsWinograd() => LayerLayout.Winograd,
        _ when StemConv3x3Kernel.Handles(layer) => LayerLayout.Stem,
        ConvWeightForm.Planned or ConvWeightForm.Direct => LayerLayout.TapQuads,
        ConvWeightForm.Tf32Fragments => LayerLayout.Tf32Fragments,
        _ => LayerLayout.Fp16Fragments,
    };

    /// <summary>
    /// Writes a layer's weights in its kernel's layout to <paramref name="target"/>: the Winograd-transformed weights (the
    /// blob's, or for a compact blob those transformed at Create, <see cref="PlannedWeights"/>) relaid for the Winograd
    /// GEMM (<see cref="GpuWinogradWeights"/>), or the weights read back as OIHW
    /// (untransformed, for a Winograd layer run as a direct one) and laid out for the stem kernel
    /// (<see cref="StemWeightLayout"/>) or the float32 implicit GEMM (<see cref="TapQuadWeightLayout"/>), or rounded and
    /// packed for the tensor-core kernel (<see cref="MmaWeightLayout"/>).
    /// </summary>
    private static void UploadKernelWeights(ArrayView<float> target, AcceleratorStream stream, Conv3x3Layer layer, ModelWeights weights, ConvWeightForm form)
    {
        switch (LayoutOf(layer, form))
        {
            case LayerLayout.Winograd:
                var relaid = new float[GpuWinogradWeights.Length(layer)];
                GpuWinogradWeights.Repack(PlannedWeights.Of(weights).Of(layer), layer, relaid);
                target.CopyFromCPU(stream, relaid);
                break;
            case LayerLayout.Stem:
                target.CopyFromCPU(stream, StemWeightLayout.FromOihw(PackedWeightsReader.ReadOihw(layer, weights), layer.InChannels, layer.OutChannels, layer.Groups));
                break;
            case LayerLayout.TapQuads:
                target.CopyFromCPU(stream, TapQuadWeightLayout.FromOihw(PackedWeightsReader.ReadOihw(layer, weights), layer));
                break;
            case LayerLayout.Tf32Fragments:
                target.Cast<uint>().CopyFromCPU(stream, MmaWeightLayout.FromOihw<Tf32Format<EmulatedTensorCores>>(PackedWeightsReader.ReadOihw(layer, weights), layer));
                break;
            case LayerLayout.Fp16Fragments:
                float[] oihw = PackedWeightsReader.ReadOihw(layer, weights);
                RequireHalfRange(layer, oihw);
                target.Cast<uint>().CopyFromCPU(stream, MmaWeightLayout.FromOihw<Fp16Format<EmulatedTensorCores>>(oihw, layer));
                break;
        }
    }

    /// <summary>Refuses FP16 for a layer with a weight that half precision would turn into infinity (every output it feeds would be infinite or NaN).</summary>
    /// <exception cref="ArgumentException">A weight of <paramref name="layer"/> rounds past half's largest value, 65504.</exception>
    private static void RequireHalfRange(Conv3x3Layer layer, float[] oihw)
    {
        for (int i = 0; i < oihw.Length; i++)
        {
            if (!System.Half.IsInfinity((System.Half)oihw[i]))
                continue;
            int inPerGroup = layer.InChannels / layer.Groups;
            int tap = i % 9, inChannel = i / 9 % inPerGroup, outChannel = i / 9 / inPerGroup;
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Layer {layer.Name}: fused weight [{outChannel}, {inChannel}, {tap / 3}, {tap % 3}] (OIHW) is {oihw[i]:G9}; half precision " +
                $"holds magnitudes up to 65504, so Precision.{Precision.Fp16} would make it infinite. Run this model in Precision.{Precision.Tf32} or {Precision.Fp32}."),
                "precision");
        }
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
        (a.InChannels, a.OutChannels, a.Groups, a.BiasOffset, a.Algorithm, a.Squeeze) == (b.InChannels, b.OutChannels, b.Groups, b.BiasOffset, b.Algorithm, b.Squeeze);
}
