using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace RepVgg.Cpu;

/// <summary>
/// A layer's squeeze-and-excitation on its output in <see cref="ChannelBlockedLayout"/>, in place, for every image of a
/// batch: each channel's mean over the whole map (one pass), then per image <c>s = sigmoid(Wu relu(Wd mean + bd) + bu)</c>,
/// then one more pass that scales each channel by its <c>s</c>, applying the layer's ReLU first when the unit comes
/// before it (<c>relu(z s) = relu(z) s</c>, as <c>s &gt; 0</c>). The passes run on the <see cref="WorkerPool"/> by
/// (image, channel block). One instance per engine, reused.
/// </summary>
internal sealed unsafe class SqueezeExcitationWork : IParallelWork
{
    private const int Lanes = ChannelBlockedLayout.Lanes;

    private enum Pass { Pool, Excite, Scale }

    private Pass _pass;
    private float* _data;
    private float* _blob;
    private ChannelBlockedLayout _layout;
    private SqueezeExcitationUnit _unit = null!;
    // Per image, one float per lane of every channel block: the means, then the scales (zero past the channels, which
    // keeps the padding lanes zero).
    private float[] _means = [];
    private float[] _scales = [];
    private float[] _hidden = [];

    /// <summary>
    /// Applies <paramref name="unit"/> to the <paramref name="batch"/> images at <paramref name="data"/> (<paramref name="layout"/>),
    /// reading its weights from <paramref name="blob"/>.
    /// </summary>
    public void Run(WorkerPool pool, float* data, ChannelBlockedLayout layout, int batch, float* blob, SqueezeExcitationUnit unit)
    {
        _data = data;
        _blob = blob;
        _layout = layout;
        _unit = unit;
        int laneFloats = layout.ChannelBlocks * Lanes;
        if (_means.Length < batch * laneFloats)
        {
            _means = new float[batch * laneFloats];
            _scales = new float[batch * laneFloats];
        }
        if (_hidden.Length < batch * unit.InternalChannels)
            _hidden = new float[batch * unit.InternalChannels];
        int items = batch * layout.ChannelBlocks;
        _pass = Pass.Pool;
        pool.Run(this, items);
        _pass = Pass.Excite;
        pool.Run(this, batch);
        _pass = Pass.Scale;
        pool.Run(this, items);
    }

    /// <inheritdoc/>
    public void Run(int item)
    {
        switch (_pass)
        {
            case Pass.Pool: Pool(item / _layout.ChannelBlocks, item % _layout.ChannelBlocks); break;
            case Pass.Excite: Excite(item); break;
            default: Scale(item / _layout.ChannelBlocks, item % _layout.ChannelBlocks); break;
        }
    }

    /// <summary>The means of one channel block of one image: each row summed in float32, the rows in float64.</summary>
    private void Pool(int image, int block)
    {
        float* start = _data + image * _layout.ImageFloats + _layout.Offset(block, 1, 1);
        Vector512<double> low = Vector512<double>.Zero, high = Vector512<double>.Zero;
        for (int y = 0; y < _layout.Height; y++)
        {
            float* pixel = start + y * _layout.RowFloats;
            Vector512<float> row = Vector512<float>.Zero;
            for (int x = 0; x < _layout.Width; x++, pixel += Lanes)
                row += Vector512.Load(pixel);
            low += Vector512.WidenLower(row);
            high += Vector512.WidenUpper(row);
        }
        double pixels = (double)_layout.Height * _layout.Width;
        Vector256<float> lowMeans = Vector512.Narrow(low / pixels, Vector512<double>.Zero).GetLower();
        Vector256<float> highMeans = Vector512.Narrow(high / pixels, Vector512<double>.Zero).GetLower();
        int at = (image * _layout.ChannelBlocks + block) * Lanes;
        fixed (float* means = &_means[at])
        {
            lowMeans.Store(means);
            highMeans.Store(means + Lanes / 2);
        }
    }

    /// <summary>One image's scales from its means: the two 1x1 convs and the sigmoid.</summary>
    private void Excite(int image)
    {
        int channels = _layout.Channels, inner = _unit.InternalChannels, laneFloats = _layout.ChannelBlocks * Lanes;
        ReadOnlySpan<float> means = _means.AsSpan(image * laneFloats, channels);
        Span<float> hidden = _hidden.AsSpan(image * inner, inner);
        Span<float> scales = _scales.AsSpan(image * laneFloats, laneFloats);
        float* down = _blob + _unit.DownWeightOffset, downBias = _blob + _unit.DownBiasOffset;
        float* up = _blob + _unit.UpWeightOffset, upBias = _blob + _unit.UpBiasOffset;
        for (int h = 0; h < inner; h++)
            hidden[h] = MathF.Max(TensorPrimitives.Dot(new ReadOnlySpan<float>(down + (long)h * channels, channels), means) + downBias[h], 0);
        for (int c = 0; c < channels; c++)
            scales[c] = TensorPrimitives.Dot(new ReadOnlySpan<float>(up + (long)c * inner, inner), hidden) + upBias[c];
        TensorPrimitives.Sigmoid(scales[..channels], scales[..channels]);
        scales[channels..].Clear();
    }

    /// <summary>Scales one channel block of one image, after its ReLU when the unit comes before it.</summary>
    private void Scale(int image, int block)
    {
        float* start = _data + image * _layout.ImageFloats + _layout.Offset(block, 1, 1);
        Vector512<float> scale = Vector512.Create(_scales.AsSpan((image * _layout.ChannelBlocks + block) * Lanes, Lanes));
        bool relu = _unit.Placement == SqueezePlacement.BeforeRelu;
        for (int y = 0; y < _layout.Height; y++)
        {
            float* pixel = start + y * _layout.RowFloats;
            for (int x = 0; x < _layout.Width; x++, pixel += Lanes)
            {
                Vector512<float> value = Vector512.Load(pixel);
                if (relu) value = Vector512.Max(value, Vector512<float>.Zero);
                (value * scale).Store(pixel);
            }
        }
    }
}
