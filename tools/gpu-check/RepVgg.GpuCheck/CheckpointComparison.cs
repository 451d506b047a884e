using System.Runtime.InteropServices;
using RepVgg.Compiler;

namespace RepVgg.GpuCheck;

/// <summary>A file the check cannot use; the message names it and says what was expected and found.</summary>
internal sealed class BadInputException(string message) : Exception(message);

/// <summary>What the checkpoint mode is asked to do.</summary>
/// <param name="Checkpoint">Any checkpoint the weights step reads (.pth, .safetensors).</param>
/// <param name="Input">Raw little-endian float32, NCHW, N x C x Height x Width.</param>
/// <param name="OutGpu">Where the GPU engine's logits go (raw float32, N x Classes), or null to skip the GPU.</param>
/// <param name="OutCpu">Where the CPU engine's logits go, or null to skip the CPU.</param>
/// <param name="Precision">The GPU engine's; the CPU engine computes in float32.</param>
internal sealed record CheckpointJob(string Checkpoint, string Input, int Height, int Width, CompileOptions Options,
    string? OutGpu, string? OutCpu, GpuAccelerator Accelerator, Precision Precision);

/// <summary>
/// Any checkpoint through the engines: compiled for the input size, run on a raw input file, logits written as raw
/// float32 so they can be compared with any reference (PyTorch's, for one).
/// </summary>
internal static class CheckpointComparison
{
    public static int Run(CheckpointJob job, TextWriter log)
    {
        CompiledModel compiled = WeightsStep.Compile(job.Checkpoint, job.Options with { InputHeight = job.Height, InputWidth = job.Width });
        NetworkLayout network = NetworkLayouts.FromManifest(compiled.Manifest, job.Height, job.Width);
        float[] images = ReadImages(job.Input, network);
        int batch = images.Length / network.ImageLength;
        log.WriteLine($"gpu-check: {job.Checkpoint} ({compiled.Manifest.Variant}, {network.Layers.Count} layers, {network.Head.Classes} classes) " +
            $"on {batch} x {network.InputChannels} x {job.Height} x {job.Width} from {job.Input}");
        ModelWeights weights = compiled.ToModelWeights();

        float[]? gpuLogits = null, cpuLogits = null;
        // The CPU first: its logits are written even where there turns out to be no GPU.
        if (job.OutCpu is not null)
        {
            using InferenceEngine cpu = InferenceEngine.Create(Backend.Cpu, network, weights);
            cpuLogits = NetworkRun.Infer(cpu, images);
            Write(job.OutCpu, cpuLogits, batch, network, cpu.DeviceName, log);
        }
        if (job.OutGpu is not null)
        {
            using InferenceEngine gpu = GpuEngine.Create(job.Accelerator, network, weights, job.Precision);
            gpuLogits = NetworkRun.Infer(gpu, images);
            Write(job.OutGpu, gpuLogits, batch, network, $"{gpu.DeviceName} ({gpu.Precision})", log);
        }
        if (gpuLogits is not null && cpuLogits is not null)
            log.WriteLine($"gpu-check: GPU vs CPU engine: relative L2 {NetworkRun.RelativeL2(gpuLogits, cpuLogits):0.00e+00}");
        return ExitCodes.Passed;
    }

    /// <summary>The input file as a batch of whole images for <paramref name="network"/>.</summary>
    public static float[] ReadImages(string path, NetworkLayout network)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"{path}: cannot read the input file: {e.Message}");
        }
        long imageBytes = (long)network.ImageLength * sizeof(float);
        if (bytes.Length == 0 || bytes.Length % imageBytes != 0)
            throw new BadInputException(
                $"{path}: expected raw float32 NCHW images of {network.InputChannels} x {network.InputHeight} x {network.InputWidth} " +
                $"({imageBytes} bytes each, N >= 1); found {bytes.Length} bytes ({bytes.Length / (double)imageBytes:0.###} images).");
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    private static void Write(string path, float[] logits, int batch, NetworkLayout network, string device, TextWriter log)
    {
        try
        {
            File.WriteAllBytes(path, MemoryMarshal.AsBytes(logits.AsSpan()).ToArray());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"{path}: cannot write the logits: {e.Message}");
        }
        log.WriteLine($"gpu-check: wrote {batch} x {network.Head.Classes} logits from {device} to {path}");
    }
}
