using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Reference;

namespace RepVgg.Compiler.Synthetic;

/// <summary>
/// Makes a training-time RepVGG with deterministic weights and realistic BatchNorm statistics,
/// for tests and samples that must not download anything. Convolutions get He-normal weights;
/// each BatchNorm's running mean and variance are then calibrated, block by block, on the
/// statistics its branch actually produces for a batch of random images (as a trained network's
/// would be), so activations stay in a realistic range through the whole depth.
/// </summary>
public static class SyntheticNetwork
{
    /// <summary>Calibration batch: this many random N(0, 1) images of this size.</summary>
    public sealed record Calibration(int Images, int Height, int Width);

    /// <summary>
    /// A training-time network of <paramref name="variant"/>'s shape. With <paramref name="calibration"/>
    /// null the running statistics are random instead of calibrated (fast, for large shape-only uses).
    /// </summary>
    public static TrainedNetwork Create(RepVggVariant variant, ulong seed, Calibration? calibration, KeyLayout? layout = null) =>
        Create(variant.Blocks(), variant.Classes, seed, calibration, layout);

    /// <summary>
    /// A training-time network of any block shapes, e.g. a pruned one whose widths vary within a
    /// stage. Blocks with stride 1 and as many inputs as outputs get an identity branch.
    /// </summary>
    public static TrainedNetwork Create(IEnumerable<BlockShape> shapes, int classes, ulong seed, Calibration? calibration, KeyLayout? layout = null)
    {
        layout ??= KeyLayout.Official;
        var random = new DeterministicRandom(seed);
        var blocks = new List<RepVggBlock>();
        Activation? x = calibration is null ? null : RandomImages(random, calibration);
        foreach (var (stage, index, inCh, outCh, stride, groups, squeezeShape) in shapes)
        {
            int perGroup = inCh / groups;
            var dense = new ConvBatchNorm(random.Normals(outCh * perGroup * 9, Math.Sqrt(2.0 / (perGroup * 9))), 3, RandomNorm(random, outCh));
            var pointwise = new ConvBatchNorm(random.Normals(outCh * perGroup, Math.Sqrt(2.0 / perGroup)), 1, RandomNorm(random, outCh));
            BatchNorm? identity = stride == 1 && inCh == outCh ? RandomNorm(random, outCh) : null;
            if (x is not null)
            {
                dense = dense with { Norm = Calibrated(dense.Norm, UnfusedReference.Convolve(x, dense.Weight, outCh, 3, stride, groups)) };
                pointwise = pointwise with { Norm = Calibrated(pointwise.Norm, UnfusedReference.Convolve(x, pointwise.Weight, outCh, 1, stride, groups)) };
                if (identity is not null) identity = Calibrated(identity, x);
            }
            string name = layout.BlockPrefix(stage, index);
            SqueezeExcitation? squeeze = squeezeShape is { } shape ? RandomSqueeze(random, layout, name, outCh, shape) : null;
            var block = new RepVggBlock(name, stage, index, inCh, outCh, stride, groups, dense, pointwise, identity, null, squeeze);
            blocks.Add(block);
            if (x is not null) x = UnfusedReference.Block(block, x);
        }
        int features = blocks[^1].OutChannels;
        var head = new LinearClassifier(layout.Head, features, classes,
            random.Normals(classes * features, 1.0 / Math.Sqrt(features)), random.Normals(classes, 0.01));
        return new TrainedNetwork(layout, blocks, head);
    }

    /// <summary>
    /// A deterministic NCHW batch that is statistically like normalised photos: per channel, an
    /// offset (a photo's mean colour is rarely the dataset's), a few smooth low-frequency waves
    /// (large uniform regions and gradients), and fine noise (texture). Calibrating on white noise
    /// instead leaves the network mis-scaled for real images, whose energy is at low frequencies.
    /// </summary>
    public static Activation RandomImages(DeterministicRandom random, Calibration size)
    {
        var images = Activation.Zeros(size.Images, 3, size.Height, size.Width);
        for (int n = 0; n < size.Images; n++)
        {
            for (int c = 0; c < 3; c++)
            {
                double offset = random.Uniform(-1.5, 1.5);
                var waves = Enumerable.Range(0, 3).Select(_ => (
                    Fy: random.Uniform(0, 3 * Math.PI / size.Height), Fx: random.Uniform(0, 3 * Math.PI / size.Width),
                    Phase: random.Uniform(0, 2 * Math.PI), Amplitude: random.Uniform(0.2, 0.6))).ToArray();
                int plane = images.Plane(n, c);
                for (int y = 0; y < size.Height; y++)
                {
                    for (int x = 0; x < size.Width; x++)
                    {
                        double value = offset + 0.3 * random.Normal();
                        foreach (var w in waves) value += w.Amplitude * Math.Cos(w.Fy * y + w.Fx * x + w.Phase);
                        images.Data[plane + y * size.Width + x] = (float)value;
                    }
                }
            }
        }
        return images;
    }

    /// <summary>
    /// A squeeze-and-excitation under <paramref name="layout"/>'s name for its placement, with He-normal weights, so
    /// its gates spread over (0, 1) rather than sit at one value.
    /// </summary>
    /// <exception cref="ArgumentException">The layout names no squeeze-and-excitation at that placement (timm's after the ReLU).</exception>
    private static SqueezeExcitation RandomSqueeze(DeterministicRandom random, KeyLayout layout, string block, int channels, SqueezeShape shape)
    {
        SqueezeModule module = layout.SqueezeModuleFor(shape.Placement, block);
        int inner = shape.InternalChannels;
        return new SqueezeExcitation($"{block}.{module.Module}", shape.Placement, channels, inner,
            random.Normals(inner * channels, Math.Sqrt(2.0 / channels)), random.Normals(inner, 0.1),
            random.Normals(channels * inner, Math.Sqrt(2.0 / inner)), random.Normals(channels, 0.5));
    }

    private static BatchNorm RandomNorm(DeterministicRandom random, int channels)
    {
        var gamma = new double[channels];
        var beta = new double[channels];
        var mean = new double[channels];
        var variance = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            gamma[c] = (float)random.Uniform(0.5, 1.0);
            beta[c] = (float)random.Uniform(-0.1, 0.1);
            mean[c] = (float)random.Uniform(-0.1, 0.1);
            variance[c] = (float)random.Uniform(0.5, 2.0);
        }
        return new BatchNorm(gamma, beta, mean, variance, BatchNorm.RepVggEps);
    }

    /// <summary>The BatchNorm with its running statistics set to <paramref name="input"/>'s per-channel mean and variance.</summary>
    private static BatchNorm Calibrated(BatchNorm bn, Activation input)
    {
        var mean = new double[input.Channels];
        var variance = new double[input.Channels];
        long count = (long)input.Batch * input.PlaneLength;
        for (int c = 0; c < input.Channels; c++)
        {
            double sum = 0, squares = 0;
            for (int n = 0; n < input.Batch; n++)
            {
                int plane = input.Plane(n, c);
                for (int p = 0; p < input.PlaneLength; p++)
                {
                    double v = input.Data[plane + p];
                    sum += v;
                    squares += v * v;
                }
            }
            mean[c] = sum / count;
            variance[c] = Math.Max(squares / count - mean[c] * mean[c], 0);
        }
        // A channel that ReLU silenced on the calibration batch has variance ~0; normalising by it would
        // amplify that channel ~1000x on other inputs, and the amplification compounds with depth.
        // A floor at a tenth of the layer's mean variance keeps every channel's gain realistic.
        double floor = Math.Max(0.1 * variance.Average(), 1e-6);
        for (int c = 0; c < input.Channels; c++)
        {
            mean[c] = (float)mean[c];
            variance[c] = (float)Math.Max(variance[c], floor);
        }
        return bn with { RunningMean = mean, RunningVar = variance };
    }
}
