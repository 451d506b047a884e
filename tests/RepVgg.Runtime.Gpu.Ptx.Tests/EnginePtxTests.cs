using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;

namespace RepVgg.Runtime.Gpu.Ptx.Tests;

/// <summary>
/// The engine's own kernels as the GPU gets them (sm_80 PTX): the implicit GEMM keeps its 4 x 4 accumulators in
/// registers and stages its tiles in shared memory; no kernel touches local memory.
/// </summary>
public sealed class EnginePtxTests
{
    [Fact]
    public void Implicit_gemm_keeps_its_accumulators_in_registers_and_its_tiles_in_shared_memory()
    {
        string ptx = PtxCompilation.Compile(PtxCompilation.Explicit(typeof(Conv3x3GemmKernel), nameof(Conv3x3GemmKernel.Run)));

        Assert.DoesNotContain(".local", ptx);
        Assert.Contains("ld.shared.v4.f32", ptx);
        Assert.True(PtxCompilation.CountOf(ptx, "bar.sync") >= 2, "The tile loop needs a barrier after loading and after using each tile.");
        // ILGPU emits each multiply-add as mul.f32 then add.f32, without rounding modifiers, which ptxas contracts
        // into one fma: the 4 x 4 block is unrolled into 16 of them per reduction step.
        Assert.True(PtxCompilation.CountOf(ptx, "mul.f32") >= 16, $"Expected the 4 x 4 block's 16 multiplies unrolled; found {PtxCompilation.CountOf(ptx, "mul.f32")}.");
    }

    [Fact]
    public void Stem_pool_head_and_transpose_kernels_use_no_local_memory()
    {
        foreach (string ptx in new[]
        {
            PtxCompilation.Compile(PtxCompilation.Explicit(typeof(StemConv3x3Kernel), nameof(StemConv3x3Kernel.Run), typeof(Nchw))),
            PtxCompilation.Compile(PtxCompilation.Explicit(typeof(StemConv3x3Kernel), nameof(StemConv3x3Kernel.Run), typeof(NhwcTf32))),
            PtxCompilation.Compile(PtxCompilation.Explicit(typeof(StemConv3x3Kernel), nameof(StemConv3x3Kernel.Run), typeof(NhwcHalf<PtxTensorCores>))),
            PtxCompilation.Compile(PtxCompilation.Implicit(typeof(GlobalAveragePoolKernel), nameof(GlobalAveragePoolKernel.Run), typeof(Nchw))),
            PtxCompilation.Compile(PtxCompilation.Implicit(typeof(GlobalAveragePoolKernel), nameof(GlobalAveragePoolKernel.Run), typeof(NhwcTf32))),
            PtxCompilation.Compile(PtxCompilation.Implicit(typeof(GlobalAveragePoolKernel), nameof(GlobalAveragePoolKernel.Run), typeof(NhwcHalf<PtxTensorCores>))),
            PtxCompilation.Compile(PtxCompilation.Implicit(typeof(ActivationTransposeKernel), nameof(ActivationTransposeKernel.ToChannelsLast), typeof(NhwcTf32))),
            PtxCompilation.Compile(PtxCompilation.Implicit(typeof(ActivationTransposeKernel), nameof(ActivationTransposeKernel.ToChannelsFirst), typeof(NhwcTf32))),
            PtxCompilation.Compile(PtxCompilation.Implicit(typeof(ActivationTransposeKernel), nameof(ActivationTransposeKernel.ToChannelsLast), typeof(NhwcHalf<PtxTensorCores>))),
            PtxCompilation.Compile(PtxCompilation.Implicit(typeof(ActivationTransposeKernel), nameof(ActivationTransposeKernel.ToChannelsFirst), typeof(NhwcHalf<PtxTensorCores>))),
            PtxCompilation.Compile(PtxCompilation.Explicit(typeof(LinearHeadKernel), nameof(LinearHeadKernel.Run))),
        })
        {
            Assert.DoesNotContain(".local", ptx);
        }
    }
}
