using ILGPU;
using ILGPU.Runtime;
using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;

namespace RepVgg.Gpu;

/// <summary>
/// A test hook (<see cref="KernelOverrides.VectorReadsGemm"/>): the tensor-core implicit GEMM of the layers whose
/// channels are read as vectors, supplied from outside the product. This is how the GPU check (tools/gpu-check) runs a
/// candidate kernel, such as another <see cref="IStagingCopies"/>, in place of the engine's and times the two.
/// </summary>
internal interface ITensorCoreGemmSource
{
    /// <summary>How the engine's kernel descriptions name it, as in "implicit-gemm-mma, {Name}, 64 x 64 tiles".</summary>
    string Name { get; }

    /// <summary>
    /// The kernel with small (64 x 64) or <paramref name="large"/> (128 x 128) tiles for the format, its mma target and the
    /// activation layout the engine pairs with it: a loader, which compiles it, and its launch for a layer's shape and groups.
    /// </summary>
    (Func<Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape>> Load,
        Func<ConvShape, int, KernelConfig> Config) Gemm<TFormat, TTarget, TLayout>(Accelerator accelerator, bool large)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout;
}
