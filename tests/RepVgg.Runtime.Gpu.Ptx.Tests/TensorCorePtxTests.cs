using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;

namespace RepVgg.Runtime.Gpu.Ptx.Tests;

/// <summary>
/// The tensor-core kernels as a CUDA GPU gets them (sm_80 PTX, <see cref="PtxTensorCores"/>): per staged step, the
/// warp's 2 x 4, 4 x 4 or 4 x 8 mma of its format on each of two word blocks, on accumulators in registers the kernel
/// declares, no emulation left over, and local memory only where the results are copied out once at the end.
/// </summary>
public sealed class TensorCorePtxTests
{
    private static string CompileMmaKernel<TFormat>(GemmTileSize tiles, TensorCoreStaging staging) where TFormat : struct, ITensorCoreFormat =>
        PtxCompilation.Compile(PtxCompilation.TensorCoreKernel<TFormat, VectorReads>(tiles, staging));

    /// <summary>
    /// Each format with small (64 x 64) and large (128 x 128) tiles, staging through registers (the engine's kernels);
    /// the kernels only the GPU check selects once each: asynchronous copies in TF32 with small tiles and in FP16 with
    /// large ones, and the large tiles as 4 wide warps in FP16 by asynchronous copies (the wide kernel takes a minute or
    /// more to compile here). The tile size by its name: theory data must be public.
    /// </summary>
    public static TheoryData<string, string, string, bool> Formats()
    {
        const string tf32 = "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32", fp16 = "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32";
        var data = new TheoryData<string, string, string, bool>();
        foreach (GemmTileSize tiles in new[] { GemmTileSize.Small, GemmTileSize.Large })
        {
            data.Add("TF32", tf32, tiles.ToString(), false);
            data.Add("FP16", fp16, tiles.ToString(), false);
        }
        data.Add("TF32", tf32, nameof(GemmTileSize.Small), true);
        data.Add("FP16", fp16, nameof(GemmTileSize.Large), true);
        data.Add("FP16", fp16, nameof(GemmTileSize.LargeWideWarps), true);
        return data;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Mma_kernel_runs_its_formats_mma_on_register_accumulators(string format, string mma, string tileSize, bool async)
    {
        GemmTileSize tiles = Enum.Parse<GemmTileSize>(tileSize);
        TensorCoreStaging staging = async ? TensorCoreStaging.AsyncCopies : TensorCoreStaging.Registers;
        string ptx = format == "TF32" ? CompileMmaKernel<Tf32Format<PtxTensorCores>>(tiles, staging) : CompileMmaKernel<Fp16Format<PtxTensorCores>>(tiles, staging);

        // The step's two word blocks are written out: 2 x 8 mma for a warp's 32 x 32 block (small tiles), 2 x 16 for its
        // 64 x 32 block (large tiles), 2 x 32 for its 64 x 64 block (wide warps), which name that many accumulators
        // (4 each), and no more of the 128 declared.
        bool wide = tiles == GemmTileSize.LargeWideWarps;
        int channelBlocks = tiles == GemmTileSize.Small ? 2 : 4, pixelTiles = wide ? 8 : 4, results = channelBlocks * pixelTiles * 4;
        Assert.Equal(2 * channelBlocks * pixelTiles, PtxCompilation.CountOf(ptx, mma));
        Assert.Equal(2 * channelBlocks * pixelTiles, PtxCompilation.CountOf(ptx, "mma.sync"));
        Assert.Contains($"{{rvacc{results - 4}, rvacc{results - 3}, rvacc{results - 2}, rvacc{results - 1}}}", ptx);
        Assert.DoesNotContain($"{{rvacc{results}, ", ptx);
        int declaration = ptx.IndexOf(".reg .f32 rvacc<128>;", StringComparison.Ordinal);
        Assert.True(declaration >= 0 && declaration < ptx.IndexOf("mma.sync", StringComparison.Ordinal),
            "The accumulator registers must be declared once, before the first mma names them.");
        Assert.Equal(1, PtxCompilation.CountOf(ptx, "rvacc<128>"));
        // No emulation: it would synchronise the warp and trade fragments through a second shared array, and its
        // branches would test constants at run time.
        Assert.DoesNotContain("bar.warp.sync", ptx);
        Assert.DoesNotContain(", 1, 1;", ptx);
        // One shared allocation, the one the asynchronous copies name: a ring of slices (2 through registers, 3 by
        // asynchronous copies) of W (the tile's channel blocks, 2 word blocks of 32 lanes of 16 bytes each) and of X
        // (4 lines of 16 bytes a pixel).
        int size = tiles == GemmTileSize.Small ? 64 : 128;
        int stagedBytes = (async ? 3 : 2) * (size / 16 * 64 + 4 * size) * 16;
        Assert.Equal(1, PtxCompilation.CountOf(ptx, ".shared .align"));
        Assert.Contains($".shared .align 16 .b8 __shared_alloca0[{stagedBytes}];", ptx);
        // Local memory: only the 32, 64 or 128 results, each copied out of its register once (ILGPU's output arguments).
        Assert.Equal(results, PtxCompilation.CountOf(ptx, "ld.local"));
        Assert.True(PtxCompilation.CountOf(ptx, "bar.sync") >= 1, "Each step starts at a barrier.");
        // A lane reads each W fragment whole, one 16-byte load for each of the warp's channel blocks in each of the
        // step's two word blocks, and its two B words of a pixel tile at once: 4 or 8 tiles in each of 2 word blocks.
        Assert.Equal(channelBlocks * 2, PtxCompilation.CountOf(ptx, "ld.shared.v4.b32"));
        Assert.Equal(pixelTiles * 2, PtxCompilation.CountOf(ptx, "ld.shared.v2.b32"));
        // A thread stages 16-byte lines of a step, before the loop (one step through registers, two by asynchronous
        // copies) and in it: two lanes of W's packed fragments (four with wide warps, whose groups have as many threads
        // as the tile has pixels, not twice as many), and as many lines of the channels last activations, whose B
        // fragment words hold consecutive channels, so that one line is 4 float32 values (TF32) or 8 halves (FP16) of
        // one pixel, two pair rows.
        int stagings = async ? 3 : 2, shares = wide ? 4 : 2;
        int weightLines = shares * stagings, inputLines = shares * stagings;
        if (async)
        {
            // Straight into shared memory: W bypassing L1, X through it and zero-filled outside the image; one group of
            // copies a step, all but the last waited for before the loop's barrier, and all once more before the kernel ends.
            Assert.Equal(weightLines, PtxCompilation.CountOf(ptx, "cp.async.cg.shared.global"));
            Assert.Equal(inputLines, PtxCompilation.CountOf(ptx, "cp.async.ca.shared.global"));
            Assert.Equal(weightLines + inputLines, PtxCompilation.CountOf(ptx, "mov.b64 rvdst, __shared_alloca0;"));
            Assert.Equal(3, PtxCompilation.CountOf(ptx, "cp.async.commit_group;"));
            Assert.Equal(1, PtxCompilation.CountOf(ptx, "cp.async.wait_group 1;"));
            Assert.Equal(1, PtxCompilation.CountOf(ptx, "cp.async.wait_group 0;"));
            Assert.DoesNotContain("st.shared", ptx);
            Assert.DoesNotContain("ld.v4.b32", ptx);
        }
        else
        {
            // Loaded into registers and stored, 16 bytes each; those loads are all the 16-byte loads from global memory.
            Assert.DoesNotContain("cp.async", ptx);
            Assert.Equal(weightLines + inputLines, PtxCompilation.CountOf(ptx, "st.shared.v4.b32"));
            Assert.Equal(weightLines + inputLines, PtxCompilation.CountOf(ptx, "ld.v4.b32"));
            Assert.DoesNotContain("st.shared.v2", ptx);
        }
        Assert.DoesNotContain("ld.v4.f32", ptx);
        Assert.DoesNotContain("ld.v2.", ptx);
        // The activations are stored in the format (halves, or float32 rounded to TF32), and the weights come rounded, so
        // the thread stages both as they lie; it rounds only its outputs, once each: FP16 with the hardware's
        // conversion, TF32 with integer arithmetic whose mask keeps 10 mantissa bits (0xFFFFE000).
        Assert.Equal(format == "FP16" ? results : 0, PtxCompilation.CountOf(ptx, "cvt.rn.f16.f32"));
        Assert.Equal(format == "TF32" ? results : 0, PtxCompilation.CountOf(ptx, "4294959104"));
    }
}
