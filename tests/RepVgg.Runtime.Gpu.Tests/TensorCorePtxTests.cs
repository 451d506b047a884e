using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// The tensor-core kernels as a CUDA GPU gets them (sm_80 PTX, <see cref="PtxTensorCores"/>): per staged step, the
/// warp's 2 x 4 mma of its format on each of two word blocks, on accumulators in registers the kernel declares, no emulation left over, and
/// local memory only where the 32 results are copied out once at the end.
/// </summary>
public sealed class TensorCorePtxTests
{
    private static string CompileMmaKernel<TFormat>(bool large) where TFormat : struct, ITensorCoreFormat =>
        PtxCompilation.Compile(PtxCompilation.TensorCoreKernel<TFormat, VectorReads>(large));

    /// <summary>Each format with small (64 x 64) and large (128 x 128) tiles.</summary>
    public static TheoryData<string, string, bool> Formats() => new()
    {
        { "TF32", "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32", false },
        { "FP16", "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32", false },
        { "TF32", "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32", true },
        { "FP16", "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32", true },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Mma_kernel_runs_its_formats_mma_on_register_accumulators(string format, string mma, bool largeTiles)
    {
        string ptx = format == "TF32" ? CompileMmaKernel<Tf32Format<PtxTensorCores>>(largeTiles) : CompileMmaKernel<Fp16Format<PtxTensorCores>>(largeTiles);

        // The step's two word blocks are written out: 2 x 8 mma.
        Assert.Equal(16, PtxCompilation.CountOf(ptx, mma));
        Assert.Equal(16, PtxCompilation.CountOf(ptx, "mma.sync"));
        int declaration = ptx.IndexOf(".reg .f32 rvacc<32>;", StringComparison.Ordinal);
        Assert.True(declaration >= 0 && declaration < ptx.IndexOf("mma.sync", StringComparison.Ordinal),
            "The accumulator registers must be declared once, before the first mma names them.");
        Assert.Equal(1, PtxCompilation.CountOf(ptx, "rvacc<32>"));
        // No emulation: it would synchronise the warp and trade fragments through a third shared array, and its
        // branches would test constants at run time.
        Assert.DoesNotContain("bar.warp.sync", ptx);
        Assert.Equal(2, PtxCompilation.CountOf(ptx, ".shared .align"));
        Assert.DoesNotContain(", 1, 1;", ptx);
        // Local memory: only the 32 results, each copied out of its register once (ILGPU's out arguments).
        Assert.Equal(32, PtxCompilation.CountOf(ptx, "ld.local"));
        Assert.True(PtxCompilation.CountOf(ptx, "bar.sync") >= 2, "The first staging needs a barrier, and so does each step.");
        // The weights come as packed fragments: a thread copies 16 bytes at a time (one lane with large tiles, two with
        // small, before the loop and in it), and a lane reads each fragment whole, from shared
        // memory aligned for it: one load for each of the warp's two channel blocks in each of the step's two word blocks.
        int copies = (largeTiles ? 1 : 2) * 2;
        Assert.Equal(copies, PtxCompilation.CountOf(ptx, "st.shared.v4.b32"));
        Assert.Equal(2 * 2, PtxCompilation.CountOf(ptx, "ld.shared.v4.b32"));
        Assert.Contains(".shared .align 16", ptx);
        // The activations are channels last, and a B fragment's words hold consecutive channels: a thread reads the
        // channels it stages 16 bytes at a time, 4 float32 values (TF32) or 8 halves (FP16), which fill two pair rows:
        // one such line with large tiles, two with small, before the loop and in it. Those and the weights' copies are
        // all the 16-byte loads from global memory.
        int lines = (largeTiles ? 1 : 2) * 2;
        Assert.Equal(copies + lines, PtxCompilation.CountOf(ptx, "ld.v4.b32"));
        Assert.DoesNotContain("ld.v4.f32", ptx);
        Assert.DoesNotContain("ld.v2.", ptx);
        // The inputs are staged in pairs of word rows (t, t + 4), 8 bytes a store (two or four pairs a thread, before the
        // loop and in it), and a lane reads its two B words of a pixel tile at once: 4 tiles in each of 2 word blocks.
        Assert.Equal((largeTiles ? 2 : 4) * 2, PtxCompilation.CountOf(ptx, "st.shared.v2.b32"));
        Assert.Equal(4 * 2, PtxCompilation.CountOf(ptx, "ld.shared.v2.b32"));
        Assert.Contains(".shared .align 8", ptx);
        // FP16's activations are halves, which the thread stages as they lie; it converts only its 32 outputs, once each,
        // with the hardware's conversion. TF32 rounds its inputs with integer arithmetic; the weights come rounded.
        Assert.Equal(format == "FP16" ? 32 : 0, PtxCompilation.CountOf(ptx, "cvt.rn.f16.f32"));
    }
}
