using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace RepVgg.Cpu;

/// <summary>
/// A layer's squeeze-and-excitation on its output in <see cref="ChannelBlockedLayout"/>, in place, for every image of a
/// batch: from each channel's sum over the whole map, which the conv took of its own output while it was in cache
/// (<see cref="ChannelSums"/>), per image <c>s = sigmoid(Wu relu(Wd mean + bd) + bu)</c>, then one pass that scales each
/// channel by its <c>s</c>, applying the layer's ReLU first when the unit comes before it (<c>relu(z s) = relu(z) s</c>,
/// as <c>s &gt; 0</c>). The products run on the <see cref="WorkerPool"/> by image, the scaling by (image, channel
/// block). One instance per engine, reused.
/// </summary>
internal sealed unsafe class SqueezeExcitationWork : IParallelWork
{
    private const int Lanes = ChannelBlockedLayout.Lanes;

    private float* _data;
    private float* _blob;
    private ChannelBlockedLayout _layout;
    private SqueezeExcitationUnit _unit = null!;
    private bool _exciting;
    // Per image, one value per lane of every channel block: the sums the conv took, then the means, then the scales
    // (zero past the channels, which keeps the padding lanes zero).
    private double[] _totals = [];
    private float[] _means = [];
    private float[] _scales = [];
    private float[] _hidden = [];

    /// <summary>Where the conv puts its output's per-channel sums (batch x blocks x 16) before <see cref="Run"/>.</summary>
    public Span<double> ChannelTotals(ChannelBlockedLayout layout, int batch)
    {
        int length = batch * layout.ChannelBlocks * Lanes;
        if (_totals.Length < length)
            _totals = new double[length];
        return _totals.AsSpan(0, length);
    }

    /// <summary>
    /// Applies <paramref name="unit"/> to the <paramref name="batch"/> images at <paramref name="data"/> (<paramref name="layout"/>),
    /// whose per-channel sums are in <see cref="ChannelTotals"/>, reading its weights from <paramref name="blob"/>.
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
        double pixels = (double)layout.Height * layout.Width;
        for (int i = 0; i < batch * laneFloats; i++)
            _means[i] = (float)(_totals[i] / pixels);
        // The images' small products side by side (one image runs on the calling thread), then the scaling.
        _exciting = true;
        pool.Run(this, batch);
        _exciting = false;
        pool.Run(this, batch * layout.ChannelBlocks);
    }

    /// <inheritdoc/>
    public void Run(int item)
    {
        if (_exciting)
            Excite(item);
        else
            Scale(item / _layout.ChannelBlocks, item % _layout.ChannelBlocks);
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
        ReadOnlySpan<float> scales = _scales.AsSpan((image * _layout.ChannelBlocks + block) * Lanes, Lanes);
        Vector256<float> low = Vector256.Create(scales[..(Lanes / 2)]), high = Vector256.Create(scales[(Lanes / 2)..]);
        // relu(z) s, or (z s after a ReLU) just z s: a floor of 0, or of minus infinity.
        Vector256<float> floor = Vector256.Create(_unit.Placement == SqueezePlacement.BeforeRelu ? 0f : float.NegativeInfinity);
        for (int y = 0; y < _layout.Height; y++)
        {
            float* pixel = start + y * _layout.RowFloats;
            for (int x = 0; x < _layout.Width; x++, pixel += Lanes)
            {
                (Vector256.Max(Vector256.Load(pixel), floor) * low).Store(pixel);
                (Vector256.Max(Vector256.Load(pixel + Lanes / 2), floor) * high).Store(pixel + Lanes / 2);
            }
        }
    }
}
