using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using RepVgg.Gpu.Kernels;

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

    private static readonly Lazy<Accelerator> s_cpu = new(() =>
        Context.Create(builder => builder.CPU(new CPUDevice(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 16, numMultiprocessors: 1)))
            .CreateCPUAccelerator(0));

    /// <summary>
    /// ILGPU's CPU accelerator, created on first use and kept: it simulates one SM of warps of 32 threads and groups of
    /// up to 512 (the largest groups the kernels launch have 256; ILGPU's default CPU device allows 16). The GPU check's
    /// CPU-accelerator engines run on it (<see cref="TryCreateCpuAcceleratorWith"/>); the tests make their own, one per test class.
    /// </summary>
    internal static Accelerator CpuAccelerator => s_cpu.Value;

    /// <summary>
    /// An engine on the CUDA device with the most memory, or the reason there is none (no CUDA driver, no
    /// NVIDIA GPU, a GPU without the tensor cores <paramref name="precision"/> needs, or ILGPU failed); never throws for those.
    /// </summary>
    /// <returns>Null and an engine, or why there is no engine and a null one.</returns>
    public static string? TryCreateCuda(NetworkLayout network, ModelWeights weights, Precision precision, out InferenceEngine? engine) =>
        TryCreateCudaWith(network, weights, precision, GemmTileSize.Auto, allDirect: false, TensorCoreStaging.Registers, out engine);

    /// <summary>
    /// <see cref="TryCreateCuda"/> with the GEMMs' tiles fixed rather than chosen per layer, or every layer run as a
    /// direct implicit GEMM (<paramref name="allDirect"/>, Winograd layers too), or the tensor-core kernel staging its
    /// operands another way (<paramref name="staging"/>): for the GPU check's comparisons. Named apart, because the
    /// runtime finds <see cref="TryCreateCuda"/> by name.
    /// </summary>
    internal static string? TryCreateCudaWith(NetworkLayout network, ModelWeights weights, Precision precision, GemmTileSize tiles, bool allDirect,
        TensorCoreStaging staging, out InferenceEngine? engine)
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
            engine = Create(accelerator, network, weights, precision, tiles, allDirect, staging);
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
    /// plain loops, for checking a machine or a bundle without a GPU (tools/gpu-check --accelerator cpu). Not a backend;
    /// the kernels chosen as <see cref="TryCreateCudaWith"/> takes them (the GPU check's comparisons).
    /// </summary>
    internal static string? TryCreateCpuAcceleratorWith(NetworkLayout network, ModelWeights weights, Precision precision, GemmTileSize tiles, bool allDirect,
        TensorCoreStaging staging, out InferenceEngine? engine)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(weights);
        engine = null;
        try
        {
            engine = Create(CpuAccelerator, network, weights, precision, tiles, allDirect, staging);
            return null;
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            return $"ILGPU's CPU accelerator could not set up the network ({e.GetType().Name}: {e.Message})";
        }
    }

    /// <summary>
    /// An engine on <paramref name="accelerator"/>, which stays the caller's to dispose after the engine; its GEMMs'
    /// tiles chosen per layer, or fixed by <paramref name="tiles"/>, its Winograd layers run as planned, or as direct
    /// implicit GEMMs with <paramref name="allDirect"/>, and its tensor-core kernel staging as <paramref name="staging"/>
    /// says (tests, the GPU check's comparisons).
    /// </summary>
    internal static GpuInferenceEngine Create(Accelerator accelerator, NetworkLayout network, ModelWeights weights,
        Precision precision = Precision.Fp32, GemmTileSize tiles = GemmTileSize.Auto, bool allDirect = false,
        TensorCoreStaging staging = TensorCoreStaging.Registers) =>
        new(accelerator, network, weights, precision, tiles, allDirect, staging);

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
