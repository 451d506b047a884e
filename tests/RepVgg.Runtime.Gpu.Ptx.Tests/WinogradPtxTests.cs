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
    public static TheoryData<string> TransformKernels => ["winograd input 2x2", "winograd input 4x4", "winograd output 2x2", "winograd output 4x4"];

    [Theory]
    [MemberData(nameof(TransformKernels))]
    public void TransformsKeepTheirTilesInRegisters(string kernel)
    {
        string ptx = PtxCompilation.Of(kernel);

        // The Line structs' elements are named one by one so that no tile lands in local memory.
        Assert.DoesNotContain(".local", ptx);
    }

    [Fact]
    public void GemmStagesItsSlicesInSharedMemory()
    {
        string ptx = PtxCompilation.Of("winograd gemm");

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
