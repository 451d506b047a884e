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
        string ptx = PtxCompilation.Of("implicit-gemm");

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
        foreach (string kernel in new[]
        {
            "stem-direct", "stem-direct channels last", "stem-direct channels last half",
            "global average pool", "global average pool channels last", "global average pool channels last half",
            "to channels last", "to channels first", "to channels last half", "to channels first half", "linear head",
        })
        {
            Assert.DoesNotContain(".local", PtxCompilation.Of(kernel));
        }
    }
}
