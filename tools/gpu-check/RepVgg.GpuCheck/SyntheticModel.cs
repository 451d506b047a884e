using System.Diagnostics;
using RepVgg.Compiler;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Synthetic;

namespace RepVgg.GpuCheck;

/// <summary>
/// A published variant made here, as <c>repvgg-compile synthesize</c> makes it: deterministic weights and
/// BatchNorm statistics calibrated on synthetic images of the check's input size, written as a
/// training-time <c>.pth</c>, then compiled by the weights step in process. B1's checkpoint is about 200 MB,
/// far more than can be sent to a GPU machine, so the machine makes it.
/// </summary>
internal static class SyntheticModel
{
    /// <param name="calibrationImages">
    /// Images the BatchNorm statistics are calibrated on. Two suffice at 224 x 224; at a tiny size the last stages are
    /// 1 x 1, two images give each channel two samples, and the noisy statistics compound with depth into activations
    /// of 1e10 (RepVGG-A0 at 16 x 16), far past half precision's range.
    /// </param>
    public static CompiledModel Compile(RepVggVariant variant, int height, int width, int calibrationImages, string workFolder, TextWriter log)
    {
        string checkpoint = Path.Combine(workFolder, $"{variant.Name}-train.pth");
        var clock = Stopwatch.StartNew();
        TrainedNetwork network = SyntheticNetwork.Create(variant, SyntheticCheckpoint.DefaultSeed,
            new SyntheticNetwork.Calibration(calibrationImages, height, width));
        SyntheticCheckpoint.Write(checkpoint, network, deploy: false);
        log.WriteLine($"gpu-check: synthesized {variant.Name} ({new FileInfo(checkpoint).Length / 1e6:F0} MB, BatchNorm calibrated on {calibrationImages} images of {height} x {width}) in {clock.Elapsed.TotalSeconds:F1} s");
        clock.Restart();
        CompiledModel compiled = WeightsStep.Compile(checkpoint, new CompileOptions { InputHeight = height, InputWidth = width });
        log.WriteLine($"gpu-check: compiled it (weights step: {compiled.Manifest.Layers.Count} layers, {compiled.Blob.LongLength * sizeof(float) / 1e6:F0} MB blob) in {clock.Elapsed.TotalSeconds:F1} s");
        return compiled;
    }
}
