namespace RepVgg.Runtime.Gpu.Ptx.Tests;

/// <summary>
/// The engine's tensor-core kernels as a CUDA GPU gets them (sm_80 PTX, with the bounds the engine loads them with):
/// per staged step, the warp's 2 x 4 or 4 x 4 mma of its format on each of two word blocks, on accumulators in
/// registers the kernel declares, no emulation left over, and local memory only where the results are copied out once
/// at the end.
/// </summary>
public sealed class TensorCorePtxTests
{
    /// <summary>Each format with small (64 x 64) and large (128 x 128) tiles, reading channels as vectors, as every RepVGG layer past the stem does.</summary>
    public static TheoryData<string, string, bool> Formats()
    {
        const string tf32 = "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32", fp16 = "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32";
        var data = new TheoryData<string, string, bool>();
        foreach (bool large in new[] { false, true })
        {
            data.Add("TF32", tf32, large);
            data.Add("FP16", fp16, large);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Mma_kernel_runs_its_formats_mma_on_register_accumulators(string format, string mma, bool large)
    {
        string ptx = PtxCompilation.Of($"implicit-gemm-mma {format}{(large ? " large tiles" : "")}");

        // The step's two word blocks are written out: 2 x 8 mma for a warp's 32 x 32 block (small tiles), 2 x 16 for its
        // 64 x 32 block (large tiles), which name that many accumulators (4 each), all of the 64 declared with large tiles.
        int channelBlocks = large ? 4 : 2, pixelTiles = 4, results = channelBlocks * pixelTiles * 4;
        Assert.Equal(2 * channelBlocks * pixelTiles, PtxCompilation.CountOf(ptx, mma));
        Assert.Equal(2 * channelBlocks * pixelTiles, PtxCompilation.CountOf(ptx, "mma.sync"));
        Assert.Contains($"{{rvacc{results - 4}, rvacc{results - 3}, rvacc{results - 2}, rvacc{results - 1}}}", ptx);
        Assert.DoesNotContain($"{{rvacc{results}, ", ptx);
        int declaration = ptx.IndexOf(".reg .f32 rvacc<64>;", StringComparison.Ordinal);
        Assert.True(declaration >= 0 && declaration < ptx.IndexOf("mma.sync", StringComparison.Ordinal),
            "The accumulator registers must be declared once, before the first mma names them.");
        Assert.Equal(1, PtxCompilation.CountOf(ptx, "rvacc<64>"));
        // No emulation: it would synchronise the warp and trade fragments through a second shared array, and its
        // branches would test constants at run time.
        Assert.DoesNotContain("bar.warp.sync", ptx);
        Assert.DoesNotContain(", 1, 1;", ptx);
        // One shared allocation: a ring of 2 slices of W (the tile's channel blocks, 2 word blocks of 32 lanes of 16
        // bytes each) and of X (4 lines of 16 bytes a pixel).
        int size = large ? 128 : 64;
        int stagedBytes = 2 * (size / 16 * 64 + 4 * size) * 16;
        Assert.Equal(1, PtxCompilation.CountOf(ptx, ".shared .align"));
        Assert.Contains($".shared .align 16 .b8 __shared_alloca0[{stagedBytes}];", ptx);
        // Local memory: only the 32 or 64 results, each copied out of its register once (ILGPU's output arguments).
        Assert.Equal(results, PtxCompilation.CountOf(ptx, "ld.local"));
        Assert.True(PtxCompilation.CountOf(ptx, "bar.sync") >= 1, "Each step starts at a barrier.");
        // A lane reads each W fragment whole, one 16-byte load for each of the warp's channel blocks in each of the
        // step's two word blocks, and its two B words of a pixel tile at once: 4 tiles in each of 2 word blocks.
        Assert.Equal(channelBlocks * 2, PtxCompilation.CountOf(ptx, "ld.shared.v4.b32"));
        Assert.Equal(pixelTiles * 2, PtxCompilation.CountOf(ptx, "ld.shared.v2.b32"));
        // A thread stages 16-byte lines of a step, before the loop and in it, loaded into registers and stored: two lanes
        // of W's packed fragments and as many lines of the channels last activations, whose B fragment words hold
        // consecutive channels, so that one line is 4 float32 values (TF32) or 8 halves (FP16) of one pixel, two pair
        // rows. Those loads are all the 16-byte loads from global memory.
        const int lines = 2 * 2 * 2;
        Assert.DoesNotContain("cp.async", ptx);
        Assert.Equal(lines, PtxCompilation.CountOf(ptx, "st.shared.v4.b32"));
        Assert.Equal(lines, PtxCompilation.CountOf(ptx, "ld.v4.b32"));
        Assert.DoesNotContain("st.shared.v2", ptx);
        Assert.DoesNotContain("ld.v4.f32", ptx);
        Assert.DoesNotContain("ld.v2.", ptx);
        // The activations are stored in the format (halves, or float32 rounded to TF32), and the weights come rounded, so
        // the thread stages both as they lie; it rounds only its outputs, once each: FP16 with the hardware's
        // conversion, TF32 with integer arithmetic whose mask keeps 10 mantissa bits (0xFFFFE000).
        Assert.Equal(format == "FP16" ? results : 0, PtxCompilation.CountOf(ptx, "cvt.rn.f16.f32"));
        Assert.Equal(format == "TF32" ? results : 0, PtxCompilation.CountOf(ptx, "4294959104"));
    }
}
