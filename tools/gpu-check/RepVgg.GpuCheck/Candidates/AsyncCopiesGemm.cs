using ILGPU;
using ILGPU.Runtime;
using RepVgg.Gpu;
using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;

namespace RepVgg.GpuCheck.Candidates;

/// <summary>
/// The engine's tensor-core kernel with <see cref="AsyncCopies"/> in place of its register staging, for the layers
/// whose channels are read as vectors: what the check's "async copies" rows and columns run
/// (<see cref="KernelOverrides.VectorReadsGemm"/>).
/// </summary>
internal sealed class AsyncCopiesGemm : ITensorCoreGemmSource
{
    public static AsyncCopiesGemm Instance { get; } = new();

    private AsyncCopiesGemm()
    {
    }

    public string Name => "async copies";

    public (Func<Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape>> Load,
        Func<ConvShape, int, KernelConfig> Config) Gemm<TFormat, TTarget, TLayout>(Accelerator accelerator, bool large)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout =>
        GpuInferenceEngine.TensorCoreGemm<TFormat, TTarget, TLayout, VectorReads, AsyncCopies>(accelerator, large);
}
