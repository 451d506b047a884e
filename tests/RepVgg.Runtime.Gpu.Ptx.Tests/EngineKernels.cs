using ILGPU.Backends.EntryPoints;
using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;
using RepVgg.Gpu.Winograd;

namespace RepVgg.Runtime.Gpu.Ptx.Tests;

/// <summary>Every kernel of the GPU engine by name, as a CUDA accelerator loads it.</summary>
internal static class EngineKernels
{
    private static readonly Conv3x3Layer Stem = new("stem", 3, 64, 1, 2, 224, 224, 0, 0);

    /// <summary>
    /// Each of the engine's kernels, its entry point, its threads per group where the engine fixes them (null: ILGPU picks), and the
    /// resident groups per SM it is compiled for where the engine asks for some (null: one).
    /// </summary>
    public static readonly Dictionary<string, (Func<EntryPointDescription> Entry, int? Threads, int? Groups)> All = new()
    {
        ["implicit-gemm"] = (() => PtxCompilation.Explicit(typeof(Conv3x3GemmKernel), nameof(Conv3x3GemmKernel.Run)), Conv3x3GemmKernel.Threads, null),
        ["implicit-gemm large tiles"] = (() => PtxCompilation.Explicit(typeof(Conv3x3GemmKernel), nameof(Conv3x3GemmKernel.RunLarge)), Conv3x3GemmKernel.Threads, TileGemm.LargeResidentGroups),
        ["implicit-gemm-mma TF32"] = (() => PtxCompilation.TensorCoreKernel<Tf32Format<PtxTensorCores>, VectorReads>(), Conv3x3MmaKernel.Threads, null),
        ["implicit-gemm-mma FP16"] = (() => PtxCompilation.TensorCoreKernel<Fp16Format<PtxTensorCores>, VectorReads>(), Conv3x3MmaKernel.Threads, null),
        ["implicit-gemm-mma TF32 large tiles"] = (() => PtxCompilation.TensorCoreKernel<Tf32Format<PtxTensorCores>, VectorReads>(large: true), Conv3x3MmaKernel.LargeThreads, Conv3x3MmaKernel.LargeResidentGroups),
        ["implicit-gemm-mma FP16 large tiles"] = (() => PtxCompilation.TensorCoreKernel<Fp16Format<PtxTensorCores>, VectorReads>(large: true), Conv3x3MmaKernel.LargeThreads, Conv3x3MmaKernel.LargeResidentGroups),
        ["implicit-gemm-mma TF32 scalar reads"] = (() => PtxCompilation.TensorCoreKernel<Tf32Format<PtxTensorCores>, ScalarReads>(), Conv3x3MmaKernel.Threads, null),
        ["implicit-gemm-mma FP16 scalar reads"] = (() => PtxCompilation.TensorCoreKernel<Fp16Format<PtxTensorCores>, ScalarReads>(), Conv3x3MmaKernel.Threads, null),
        ["implicit-gemm-mma TF32 large tiles scalar reads"] = (() => PtxCompilation.TensorCoreKernel<Tf32Format<PtxTensorCores>, ScalarReads>(large: true), Conv3x3MmaKernel.LargeThreads, Conv3x3MmaKernel.LargeResidentGroups),
        ["implicit-gemm-mma FP16 large tiles scalar reads"] = (() => PtxCompilation.TensorCoreKernel<Fp16Format<PtxTensorCores>, ScalarReads>(large: true), Conv3x3MmaKernel.LargeThreads, Conv3x3MmaKernel.LargeResidentGroups),
        ["stem-direct"] = (() => PtxCompilation.Explicit(typeof(StemConv3x3Kernel), nameof(StemConv3x3Kernel.Run), typeof(Nchw)), StemConv3x3Kernel.Config(new ConvShape(Stem, 1)).GroupDim.Size, null),
        ["stem-direct channels last"] = (() => PtxCompilation.Explicit(typeof(StemConv3x3Kernel), nameof(StemConv3x3Kernel.Run), typeof(NhwcTf32)), StemConv3x3Kernel.Config(new ConvShape(Stem, 1)).GroupDim.Size, null),
        ["stem-direct channels last half"] = (() => PtxCompilation.Explicit(typeof(StemConv3x3Kernel), nameof(StemConv3x3Kernel.Run), typeof(NhwcHalf<PtxTensorCores>)), StemConv3x3Kernel.Config(new ConvShape(Stem, 1)).GroupDim.Size, null),
        ["winograd gemm"] = (() => PtxCompilation.Explicit(typeof(WinogradGemmKernel), nameof(WinogradGemmKernel.Multiply)), WinogradGemmKernel.Threads, null),
        ["winograd gemm large tiles"] = (() => PtxCompilation.Explicit(typeof(WinogradGemmKernel), nameof(WinogradGemmKernel.MultiplyLarge)), WinogradGemmKernel.Threads, TileGemm.LargeResidentGroups),
        ["winograd input 2x2"] = (() => PtxCompilation.Implicit(typeof(WinogradTransformKernels), nameof(WinogradTransformKernels.TransformInput2x2)), null, null),
        ["winograd input 4x4"] = (() => PtxCompilation.Implicit(typeof(WinogradTransformKernels), nameof(WinogradTransformKernels.TransformInput4x4)), null, null),
        ["winograd output 2x2"] = (() => PtxCompilation.Implicit(typeof(WinogradTransformKernels), nameof(WinogradTransformKernels.TransformOutput2x2)), null, null),
        ["winograd output 4x4"] = (() => PtxCompilation.Implicit(typeof(WinogradTransformKernels), nameof(WinogradTransformKernels.TransformOutput4x4)), null, null),
        ["global average pool"] = (() => PtxCompilation.Implicit(typeof(GlobalAveragePoolKernel), nameof(GlobalAveragePoolKernel.Run), typeof(Nchw)), null, null),
        ["global average pool channels last"] = (() => PtxCompilation.Implicit(typeof(GlobalAveragePoolKernel), nameof(GlobalAveragePoolKernel.Run), typeof(NhwcTf32)), null, null),
        ["global average pool channels last half"] = (() => PtxCompilation.Implicit(typeof(GlobalAveragePoolKernel), nameof(GlobalAveragePoolKernel.Run), typeof(NhwcHalf<PtxTensorCores>)), null, null),
        ["to channels last"] = (() => PtxCompilation.Implicit(typeof(ActivationTransposeKernel), nameof(ActivationTransposeKernel.ToChannelsLast), typeof(NhwcTf32)), null, null),
        ["to channels first"] = (() => PtxCompilation.Implicit(typeof(ActivationTransposeKernel), nameof(ActivationTransposeKernel.ToChannelsFirst), typeof(NhwcTf32)), null, null),
        ["to channels last half"] = (() => PtxCompilation.Implicit(typeof(ActivationTransposeKernel), nameof(ActivationTransposeKernel.ToChannelsLast), typeof(NhwcHalf<PtxTensorCores>)), null, null),
        ["to channels first half"] = (() => PtxCompilation.Implicit(typeof(ActivationTransposeKernel), nameof(ActivationTransposeKernel.ToChannelsFirst), typeof(NhwcHalf<PtxTensorCores>)), null, null),
        ["linear head"] = (() => PtxCompilation.Explicit(typeof(DenseKernel), nameof(DenseKernel.Run), typeof(DenseKernel.Identity)), DenseKernel.Threads, null),
        ["squeeze-excitation down"] = (() => PtxCompilation.Explicit(typeof(DenseKernel), nameof(DenseKernel.Run), typeof(DenseKernel.Relu)), DenseKernel.Threads, null),
        ["squeeze-excitation up"] = (() => PtxCompilation.Explicit(typeof(DenseKernel), nameof(DenseKernel.Run), typeof(DenseKernel.Sigmoid)), DenseKernel.Threads, null),
        ["squeeze-excitation scale"] = (() => PtxCompilation.Implicit(typeof(SqueezeExcitationKernel), nameof(SqueezeExcitationKernel.Scale), typeof(Nchw)), null, null),
        ["squeeze-excitation scale channels last"] = (() => PtxCompilation.Implicit(typeof(SqueezeExcitationKernel), nameof(SqueezeExcitationKernel.Scale), typeof(NhwcTf32)), null, null),
        ["squeeze-excitation scale channels last half"] = (() => PtxCompilation.Implicit(typeof(SqueezeExcitationKernel), nameof(SqueezeExcitationKernel.Scale), typeof(NhwcHalf<PtxTensorCores>)), null, null),
    };
}
