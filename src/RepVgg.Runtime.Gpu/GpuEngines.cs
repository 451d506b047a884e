using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace RepVgg.Gpu;

/// <summary>
/// Makes GPU engines. The runtime calls <see cref="TryCreateCuda"/> by name (RepVgg.GpuBackend), so this
/// assembly is loaded only when a GPU is asked for.
/// </summary>
public static class GpuEngines
{
    // The CUDA accelerator, found once per process and kept for its lifetime: every engine shares it, so a
    // model's weights are uploaded once (DeviceWeights) and its kernels compiled once.
    private static readonly Lazy<(Accelerator? Accelerator, string? Unavailable)> s_cuda = new(FindCuda);

    private static readonly Lazy<Accelerator> s_cpu = new(() => Context.Create(builder => builder.CPU(CpuDevice)).CreateCPUAccelerator(0));

    /// <summary>
    /// The CPU device the engine's kernels need: one SM of warps of 32 threads and groups of up to 256, the largest groups
    /// the kernels launch (ILGPU's default CPU device allows 16). No more: each simulated thread is an OS thread, and twice
    /// as many made the GPU tests slower, most of all beside other test projects on CI's two cores. The tests make their
    /// accelerators from it.
    /// </summary>
    internal static CPUDevice CpuDevice => new(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 8, numMultiprocessors: 1);

    /// <summary>
    /// ILGPU's CPU accelerator on <see cref="CpuDevice"/>, created on first use and kept. The GPU check's
    /// CPU-accelerator engines run on it (<see cref="TryCreateCpuAccelerator"/>); the tests make their own, one per test class.
    /// </summary>
    internal static Accelerator CpuAccelerator => s_cpu.Value;

    /// <summary>
    /// An engine on the CUDA device with the most memory, or the reason there is none (no CUDA driver, no
    /// NVIDIA GPU, a GPU without the tensor cores <paramref name="precision"/> needs, or ILGPU failed); never throws for those.
    /// </summary>
    /// <returns>Null and an engine, or why there is no engine and a null one.</returns>
    public static string? TryCreateCuda(NetworkLayout network, ModelWeights weights, Precision precision, out InferenceEngine? engine)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(weights);
        engine = null;
        var (accelerator, unavailable) = s_cuda.Value;
        if (accelerator is null)
            return unavailable;
        // mma.sync with TF32 or FP16 inputs and float32 accumulators, and cvt to TF32, need sm_80.
        if (precision != Precision.Fp32 && accelerator is CudaAccelerator { Architecture: var architecture } && architecture < CudaArchitecture.SM_80)
            return $"Precision.{precision} needs tensor cores of compute capability 8.0 (Ampere) or newer; {accelerator.Name} has {architecture}";
        try
        {
            engine = Create(accelerator, network, weights, precision);
            return null;
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            // E.g. the device's memory is too small for the weights, or a kernel failed to compile for it.
            return $"ILGPU could not set up the network on {accelerator.Name} ({e.GetType().Name}: {e.Message})";
        }
    }

    /// <summary>
    /// An engine whose kernels run on ILGPU's CPU accelerator: the CUDA path's kernels, about 40 times slower than
    /// plain loops, for checking a machine or a bundle without a GPU (tools/gpu-check --accelerator cpu). Not a backend.
    /// </summary>
    /// <returns>Null and an engine, or why there is no engine and a null one.</returns>
    internal static string? TryCreateCpuAccelerator(NetworkLayout network, ModelWeights weights, Precision precision, out InferenceEngine? engine)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(weights);
        engine = null;
        try
        {
            engine = Create(CpuAccelerator, network, weights, precision);
            return null;
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            return $"ILGPU's CPU accelerator could not set up the network ({e.GetType().Name}: {e.Message})";
        }
    }

    /// <summary>
    /// An engine on <paramref name="accelerator"/>, which stays the caller's to dispose after the engine (the tests'
    /// accelerators); its kernels chosen as <see cref="KernelOverrides.Current"/> says.
    /// </summary>
    internal static GpuInferenceEngine Create(Accelerator accelerator, NetworkLayout network, ModelWeights weights, Precision precision = Precision.Fp32) =>
        new(accelerator, network, weights, precision);

    private static (Accelerator?, string?) FindCuda()
    {
        Context? context = null;
        try
        {
            context = Context.Create(builder => builder.Cuda());
            CudaDevice? best = null;
            foreach (CudaDevice device in context.GetCudaDevices())
            {
                if (best is null || device.MemorySize > best.MemorySize)
                    best = device;
            }
            if (best is null)
            {
                context.Dispose();
                return (null, "ILGPU found no CUDA device (no NVIDIA GPU, or no CUDA driver installed)");
            }
            return (best.CreateAccelerator(context), null);
        }
        catch (Exception e)
        {
            context?.Dispose();
            return (null, $"ILGPU could not initialise CUDA ({e.GetType().Name}: {e.Message})");
        }
    }
}
