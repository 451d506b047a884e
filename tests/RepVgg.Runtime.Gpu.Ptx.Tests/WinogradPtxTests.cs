using RepVgg.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using RepVgg.Gpu.Winograd;

namespace RepVgg.Runtime.Gpu.Ptx.Tests;

/// <summary>
/// The Winograd kernels compiled by ILGPU's PTX backend for sm_80, as a CUDA accelerator compiles them (no GPU
/// is needed to compile): the CPU accelerator's tests run the same kernels, this checks what the GPU gets.
/// </summary>
public sealed class WinogradPtxTests
{
    public static TheoryData<string> TransformKernels =>
    [
        nameof(WinogradTransformKernels.TransformInput2x2), nameof(WinogradTransformKernels.TransformInput4x4),
        nameof(WinogradTransformKernels.TransformOutput2x2), nameof(WinogradTransformKernels.TransformOutput4x4),
    ];

    [Theory]
    [MemberData(nameof(TransformKernels))]
    public void TransformsKeepTheirTilesInRegisters(string kernel)
    {
        string ptx = PtxCompilation.Compile(PtxCompilation.Implicit(typeof(WinogradTransformKernels), kernel));

        // The Line structs' elements are named one by one so that no tile lands in local memory.
        Assert.DoesNotContain(".local", ptx);
    }

    [Fact]
    public void GemmStagesItsSlicesInSharedMemory()
    {
        string ptx = PtxCompilation.Compile(PtxCompilation.Explicit(typeof(WinogradGemmKernel), nameof(WinogradGemmKernel.Multiply)));

        // Two slices of each operand (double-buffered), read 16 bytes at a time.
        var block = default(RegisterBlock4x4);
        int slicesBytes = 2 * block.Depth * block.Size * sizeof(float);
        Assert.Equal(2, PtxCompilation.CountOf(ptx, $".shared .align 16 .b8 __shared_alloca"));
        Assert.Contains($"[{slicesBytes}];", ptx);
        Assert.Equal(2, PtxCompilation.CountOf(ptx, "bar.sync"));
        Assert.Contains("ld.shared.v4.f32", ptx);
        Assert.DoesNotContain(".local", ptx);
    }

}
