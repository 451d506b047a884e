using RepVgg.Compiler;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Reference;

namespace RepVgg.Cli.Verification;

/// <summary>
/// <c>repvgg verify</c>: the fused float32 network (the compiled blob on the CPU engine, as a generated class runs
/// it) against the unfused float64 reference (<see cref="UnfusedReference"/>, every branch and BatchNorm as
/// trained) on the same images.
/// </summary>
internal static class FusedNetworkCheck
{
    /// <summary>One image's error: the fused network's logits against the reference's.</summary>
    /// <param name="RelativeL2">||fused - reference||_2 / ||reference||_2 over the image's logits.</param>
    /// <param name="MaxAbsError">The largest |fused - reference| over the image's logits.</param>
    public sealed record ImageError(int Image, double RelativeL2, double MaxAbsError, int Top1Fused, int Top1Reference, bool Top1Agrees);

    /// <summary>
    /// The figures <c>verify</c> prints; <see cref="Passed"/> when no image's relative L2 exceeds <see cref="Tolerance"/>.
    /// <see cref="Warnings"/> are the checkpoint's diagnostics, as MSBuild lines.
    /// </summary>
    public sealed record Report(
        string Checkpoint, string Input, string Variant, int Images, int Channels, int Height, int Width, int Classes, double Tolerance,
        double RelativeL2, double MaxAbsError, int Top1Agreements, bool Passed, IReadOnlyList<ImageError> PerImage, IReadOnlyList<string> Warnings);

    /// <summary>Runs both networks on <paramref name="images"/>, <paramref name="batch"/> images at a time.</summary>
    /// <param name="logits">Receives the fused network's logits, (Images, Classes).</param>
    public static Report Run(CompiledModel model, string checkpoint, string input, float[] images, int height, int width,
        int batch, double tolerance, ProgressDisplay progress, out float[] logits)
    {
        int channels = model.Manifest.InputChannels, classes = model.Manifest.Head.Classes;
        int imageLength = channels * height * width, count = images.Length / imageLength;
        logits = new float[count * classes];
        var reference = new double[count * classes];
        using (ProgressDisplay.Step step = progress.Start("fused float32 network"))
        using (InferenceEngine engine = InferenceEngine.Create(Backend.Cpu, NetworkLayouts.FromManifest(model.Manifest, height, width),
            model.ToModelWeights()))
        {
            for (int first = 0; first < count; first += batch)
            {
                int n = Math.Min(batch, count - first);
                NetworkLayouts.Infer(engine, images.AsSpan(first * imageLength, n * imageLength), logits.AsSpan(first * classes, n * classes));
                step.Report(first + n, count, "images");
            }
        }
        TrainedNetwork network = model.Network;
        using (ProgressDisplay.Step step = progress.Start("unfused float64 reference"))
        {
            for (int first = 0; first < count; first += batch)
            {
                int n = Math.Min(batch, count - first);
                // UnfusedReference.Forward block by block, so a large network shows its progress.
                Activation x = Activation.FromFloats(images.AsSpan(first * imageLength, n * imageLength), n, channels, height, width);
                for (int b = 0; b < network.Blocks.Count; b++)
                {
                    x = UnfusedReference.Block(network.Blocks[b], x);
                    step.Report(first * network.Blocks.Count + n * (b + 1), count * network.Blocks.Count, "image-blocks");
                }
                UnfusedReference.PoolAndClassify(network.Head, x).CopyTo(reference, first * classes);
            }
        }

        var perImage = new ImageError[count];
        double errorSquares = 0, referenceSquares = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> fused = logits.AsSpan(i * classes, classes);
            ReadOnlySpan<double> expected = reference.AsSpan(i * classes, classes);
            double imageErrorSquares = 0, imageReferenceSquares = 0, maxError = 0;
            for (int k = 0; k < classes; k++)
            {
                double error = Math.Abs(fused[k] - expected[k]);
                // NaN compares false everywhere: count it as infinitely wrong so it cannot pass.
                if (double.IsNaN(error)) error = double.PositiveInfinity;
                imageErrorSquares += error * error;
                imageReferenceSquares += expected[k] * expected[k];
                maxError = Math.Max(maxError, error);
            }
            int top1Fused = ArgMax(fused), top1Reference = ArgMax(expected);
            perImage[i] = new ImageError(i, RelativeL2(imageErrorSquares, imageReferenceSquares), maxError, top1Fused, top1Reference, top1Fused == top1Reference);
            errorSquares += imageErrorSquares;
            referenceSquares += imageReferenceSquares;
        }
        return new Report(checkpoint, input, model.Manifest.Variant, count, channels, height, width, classes, tolerance,
            RelativeL2(errorSquares, referenceSquares), perImage.Max(e => e.MaxAbsError), perImage.Count(e => e.Top1Agrees),
            perImage.All(e => e.RelativeL2 <= tolerance), perImage, [.. model.Warnings.Select(w => w.ToMSBuildLine())]);
    }

    /// <summary>Relative to the reference's norm; absolute when the reference is all zeros (every logit 0).</summary>
    private static double RelativeL2(double errorSquares, double referenceSquares) =>
        referenceSquares == 0 ? Math.Sqrt(errorSquares) : Math.Sqrt(errorSquares / referenceSquares);

    private static int ArgMax<T>(ReadOnlySpan<T> values) where T : IComparable<T>
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i].CompareTo(values[best]) > 0) best = i;
        return best;
    }
}
