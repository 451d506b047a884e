using ILGPU;
using ILGPU.Runtime.Cuda;

namespace RepVgg.Gpu.TensorCores;

/// <summary>
/// One thread's share of a warp's block of float32 accumulators, 32 or 64 channels by 32 pixels: 16 x 8 mma
/// tiles (two or four of channels by four of pixels, up to 16 tiles), four values each, in the layout of
/// <c>mma.sync.aligned.m16n8k*</c>'s C and D fragments. Tile <c>4i + j</c> covers channels <c>16i</c> to
/// <c>16i + 15</c> and pixels <c>8j</c> to <c>8j + 7</c> of the block; element e of a thread (lane = 4 group + t) is
/// channel <c>16i + group + 8 (e / 2)</c>, pixel <c>8j + 2t + e % 2</c>. A kernel names only the tiles of its block:
/// PTX registers it never names cost nothing.
/// </summary>
/// <remarks>
/// <para>
/// With <see cref="PtxTensorCores"/> the accumulators are PTX registers <c>rvacc0</c> to <c>rvacc63</c> that <see cref="Create"/> declares
/// in the kernel's body and every <c>mma.sync</c> names directly: ILGPU passes <c>out</c>/<c>ref</c> arguments of
/// inline PTX through local memory, which made mma loops about 6 times slower. Only <see cref="Tile"/> copies
/// them out, once per output. ILGPU needs each PTX string to be a literal where it is passed, hence the spelled-out cases.
/// </para>
/// <para>
/// With <see cref="EmulatedTensorCores"/> (ILGPU's CPU accelerator, where the tests run) the fields below hold them and
/// <see cref="Emulate{TFormat}"/> computes what <c>mma.sync</c> does, from the same fragments, which the lanes of a
/// warp trade through shared memory.
/// </para>
/// </remarks>
internal struct WarpAccumulators
{
    private const int WarpSize = 32;

    // Emulation: the 32-bit words of a lane's fragments (4 of A, 2 of B), and the most warps of a group (ILGPU's 1024 threads).
    private const int FragmentWords = 6;
    private const int MaxWarps = 32;

    // Emulation: where the lanes of each warp trade their fragments (shared memory); empty with PTX.
    private ArrayView<uint> _exchange;

    private float _c0, _c1, _c2, _c3, _c4, _c5, _c6, _c7, _c8, _c9, _c10, _c11, _c12, _c13, _c14, _c15, _c16, _c17, _c18, _c19, _c20, _c21, _c22, _c23, _c24, _c25, _c26, _c27, _c28, _c29, _c30, _c31, _c32, _c33, _c34, _c35, _c36, _c37, _c38, _c39, _c40, _c41, _c42, _c43, _c44, _c45, _c46, _c47, _c48, _c49, _c50, _c51, _c52, _c53, _c54, _c55, _c56, _c57, _c58, _c59, _c60, _c61, _c62, _c63;

    /// <summary>
    /// The zeroed accumulators; with PTX, their registers declared and zeroed; emulated, with the shared memory the lanes
    /// trade fragments through. Call once per kernel, from every thread.
    /// </summary>
    public static WarpAccumulators Create<TTarget>() where TTarget : struct, ITensorCoreTarget
    {
        if (!default(TTarget).UsesPtx)
            return new WarpAccumulators { _exchange = SharedMemory.Allocate<uint>(MaxWarps * WarpSize * FragmentWords) };
        CudaAsm.Emit(".reg .f32 rvacc<64>; mov.f32 rvacc0, 0f00000000; mov.f32 rvacc1, 0f00000000; mov.f32 rvacc2, 0f00000000; mov.f32 rvacc3, 0f00000000; mov.f32 rvacc4, 0f00000000; mov.f32 rvacc5, 0f00000000; mov.f32 rvacc6, 0f00000000; mov.f32 rvacc7, 0f00000000; mov.f32 rvacc8, 0f00000000; mov.f32 rvacc9, 0f00000000; mov.f32 rvacc10, 0f00000000; mov.f32 rvacc11, 0f00000000; mov.f32 rvacc12, 0f00000000; mov.f32 rvacc13, 0f00000000; mov.f32 rvacc14, 0f00000000; mov.f32 rvacc15, 0f00000000; mov.f32 rvacc16, 0f00000000; mov.f32 rvacc17, 0f00000000; mov.f32 rvacc18, 0f00000000; mov.f32 rvacc19, 0f00000000; mov.f32 rvacc20, 0f00000000; mov.f32 rvacc21, 0f00000000; mov.f32 rvacc22, 0f00000000; mov.f32 rvacc23, 0f00000000; mov.f32 rvacc24, 0f00000000; mov.f32 rvacc25, 0f00000000; mov.f32 rvacc26, 0f00000000; mov.f32 rvacc27, 0f00000000; mov.f32 rvacc28, 0f00000000; mov.f32 rvacc29, 0f00000000; mov.f32 rvacc30, 0f00000000; mov.f32 rvacc31, 0f00000000; mov.f32 rvacc32, 0f00000000; mov.f32 rvacc33, 0f00000000; mov.f32 rvacc34, 0f00000000; mov.f32 rvacc35, 0f00000000; mov.f32 rvacc36, 0f00000000; mov.f32 rvacc37, 0f00000000; mov.f32 rvacc38, 0f00000000; mov.f32 rvacc39, 0f00000000; mov.f32 rvacc40, 0f00000000; mov.f32 rvacc41, 0f00000000; mov.f32 rvacc42, 0f00000000; mov.f32 rvacc43, 0f00000000; mov.f32 rvacc44, 0f00000000; mov.f32 rvacc45, 0f00000000; mov.f32 rvacc46, 0f00000000; mov.f32 rvacc47, 0f00000000; mov.f32 rvacc48, 0f00000000; mov.f32 rvacc49, 0f00000000; mov.f32 rvacc50, 0f00000000; mov.f32 rvacc51, 0f00000000; mov.f32 rvacc52, 0f00000000; mov.f32 rvacc53, 0f00000000; mov.f32 rvacc54, 0f00000000; mov.f32 rvacc55, 0f00000000; mov.f32 rvacc56, 0f00000000; mov.f32 rvacc57, 0f00000000; mov.f32 rvacc58, 0f00000000; mov.f32 rvacc59, 0f00000000; mov.f32 rvacc60, 0f00000000; mov.f32 rvacc61, 0f00000000; mov.f32 rvacc62, 0f00000000; mov.f32 rvacc63, 0f00000000;");
        return default;
    }

    /// <summary>
    /// The four elements of tile <paramref name="tile"/> (a constant where a kernel calls it). One switch per tile rather
    /// than per element: ILGPU inlines the switch at every call before it folds the constant away, and 128 calls of a
    /// 128-way switch (when there were 128 accumulators) took the compiler past 20 GB.
    /// </summary>
    public readonly TileResults Tile<TTarget>(int tile) where TTarget : struct, ITensorCoreTarget
    {
        if (default(TTarget).UsesPtx)
        {
            Output<float> e0 = default, e1 = default, e2 = default, e3 = default;
            switch (tile)
            {
                case 0: CudaAsm.EmitRef("mov.f32 %0, rvacc0; mov.f32 %1, rvacc1; mov.f32 %2, rvacc2; mov.f32 %3, rvacc3;", ref e0, ref e1, ref e2, ref e3); break;
                case 1: CudaAsm.EmitRef("mov.f32 %0, rvacc4; mov.f32 %1, rvacc5; mov.f32 %2, rvacc6; mov.f32 %3, rvacc7;", ref e0, ref e1, ref e2, ref e3); break;
                case 2: CudaAsm.EmitRef("mov.f32 %0, rvacc8; mov.f32 %1, rvacc9; mov.f32 %2, rvacc10; mov.f32 %3, rvacc11;", ref e0, ref e1, ref e2, ref e3); break;
                case 3: CudaAsm.EmitRef("mov.f32 %0, rvacc12; mov.f32 %1, rvacc13; mov.f32 %2, rvacc14; mov.f32 %3, rvacc15;", ref e0, ref e1, ref e2, ref e3); break;
                case 4: CudaAsm.EmitRef("mov.f32 %0, rvacc16; mov.f32 %1, rvacc17; mov.f32 %2, rvacc18; mov.f32 %3, rvacc19;", ref e0, ref e1, ref e2, ref e3); break;
                case 5: CudaAsm.EmitRef("mov.f32 %0, rvacc20; mov.f32 %1, rvacc21; mov.f32 %2, rvacc22; mov.f32 %3, rvacc23;", ref e0, ref e1, ref e2, ref e3); break;
                case 6: CudaAsm.EmitRef("mov.f32 %0, rvacc24; mov.f32 %1, rvacc25; mov.f32 %2, rvacc26; mov.f32 %3, rvacc27;", ref e0, ref e1, ref e2, ref e3); break;
                case 7: CudaAsm.EmitRef("mov.f32 %0, rvacc28; mov.f32 %1, rvacc29; mov.f32 %2, rvacc30; mov.f32 %3, rvacc31;", ref e0, ref e1, ref e2, ref e3); break;
                case 8: CudaAsm.EmitRef("mov.f32 %0, rvacc32; mov.f32 %1, rvacc33; mov.f32 %2, rvacc34; mov.f32 %3, rvacc35;", ref e0, ref e1, ref e2, ref e3); break;
                case 9: CudaAsm.EmitRef("mov.f32 %0, rvacc36; mov.f32 %1, rvacc37; mov.f32 %2, rvacc38; mov.f32 %3, rvacc39;", ref e0, ref e1, ref e2, ref e3); break;
                case 10: CudaAsm.EmitRef("mov.f32 %0, rvacc40; mov.f32 %1, rvacc41; mov.f32 %2, rvacc42; mov.f32 %3, rvacc43;", ref e0, ref e1, ref e2, ref e3); break;
                case 11: CudaAsm.EmitRef("mov.f32 %0, rvacc44; mov.f32 %1, rvacc45; mov.f32 %2, rvacc46; mov.f32 %3, rvacc47;", ref e0, ref e1, ref e2, ref e3); break;
                case 12: CudaAsm.EmitRef("mov.f32 %0, rvacc48; mov.f32 %1, rvacc49; mov.f32 %2, rvacc50; mov.f32 %3, rvacc51;", ref e0, ref e1, ref e2, ref e3); break;
                case 13: CudaAsm.EmitRef("mov.f32 %0, rvacc52; mov.f32 %1, rvacc53; mov.f32 %2, rvacc54; mov.f32 %3, rvacc55;", ref e0, ref e1, ref e2, ref e3); break;
                case 14: CudaAsm.EmitRef("mov.f32 %0, rvacc56; mov.f32 %1, rvacc57; mov.f32 %2, rvacc58; mov.f32 %3, rvacc59;", ref e0, ref e1, ref e2, ref e3); break;
                case 15: CudaAsm.EmitRef("mov.f32 %0, rvacc60; mov.f32 %1, rvacc61; mov.f32 %2, rvacc62; mov.f32 %3, rvacc63;", ref e0, ref e1, ref e2, ref e3); break;
            }
            return new(e0.Value, e1.Value, e2.Value, e3.Value);
        }
        return tile switch
        {
            0 => new(_c0, _c1, _c2, _c3),
            1 => new(_c4, _c5, _c6, _c7),
            2 => new(_c8, _c9, _c10, _c11),
            3 => new(_c12, _c13, _c14, _c15),
            4 => new(_c16, _c17, _c18, _c19),
            5 => new(_c20, _c21, _c22, _c23),
            6 => new(_c24, _c25, _c26, _c27),
            7 => new(_c28, _c29, _c30, _c31),
            8 => new(_c32, _c33, _c34, _c35),
            9 => new(_c36, _c37, _c38, _c39),
            10 => new(_c40, _c41, _c42, _c43),
            11 => new(_c44, _c45, _c46, _c47),
            12 => new(_c48, _c49, _c50, _c51),
            13 => new(_c52, _c53, _c54, _c55),
            14 => new(_c56, _c57, _c58, _c59),
            15 => new(_c60, _c61, _c62, _c63),
            _ => default,
        };
    }

    /// <summary>
    /// What <c>mma.sync</c> adds to tile <paramref name="tile"/>: the 16 x 8 product of the A fragment
    /// (<paramref name="a0"/> to <paramref name="a3"/>) and the B fragment (<paramref name="b0"/>, <paramref name="b1"/>)
    /// of the whole warp, in 32-bit words of <typeparamref name="TFormat"/>: 16 rows by 8 words of A, 8 words by 8
    /// columns of B. Lane <c>4 group + t</c> holds A's words (group, t), (group + 8, t), (group, t + 4),
    /// (group + 8, t + 4) and B's words (t, group), (t + 4, group). Accumulates in float32, word by word.
    /// </summary>
    /// <remarks>
    /// The lanes trade fragments through shared memory between two warp barriers: a barrier of ILGPU's CPU
    /// accelerator is a synchronisation of OS threads, and a shuffle costs two of them: the 32 words a lane needs would take
    /// 64 through shuffles.
    /// </remarks>
    public void Emulate<TFormat>(int tile, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1)
        where TFormat : struct, ITensorCoreFormat
    {
        var format = default(TFormat);
        int lane = Warp.LaneIdx;
        int group = lane >> 2, t = lane & 3;
        ArrayView<uint> exchange = _exchange.SubView(Warp.WarpIdx * WarpSize * FragmentWords, WarpSize * FragmentWords);
        int mine = lane * FragmentWords;
        (exchange[mine], exchange[mine + 1], exchange[mine + 2], exchange[mine + 3], exchange[mine + 4], exchange[mine + 5]) = (a0, a1, a2, a3, b0, b1);
        Warp.Barrier();
        TileResults sums = Tile<EmulatedTensorCores>(tile);
        float d0 = sums.E0, d1 = sums.E1, d2 = sums.E2, d3 = sums.E3;
        for (int word = 0; word < 4; word++)
        {
            // Words `word` and `word + 4` of rows group and group + 8 (A) and of columns 2t and 2t + 1 (B).
            int row = (group * 4 + word) * FragmentWords;
            int left = (2 * t * 4 + word) * FragmentWords, right = left + 4 * FragmentWords;
            uint top = exchange[row], bottom = exchange[row + 1], topHigh = exchange[row + 2], bottomHigh = exchange[row + 3];
            uint leftLow = exchange[left + 4], leftHigh = exchange[left + 5], rightLow = exchange[right + 4], rightHigh = exchange[right + 5];
            d0 += format.Dot(top, leftLow) + format.Dot(topHigh, leftHigh);
            d1 += format.Dot(top, rightLow) + format.Dot(topHigh, rightHigh);
            d2 += format.Dot(bottom, leftLow) + format.Dot(bottomHigh, leftHigh);
            d3 += format.Dot(bottom, rightLow) + format.Dot(bottomHigh, rightHigh);
        }
        // No lane may overwrite its words for the next mma before every lane has read them.
        Warp.Barrier();
        switch (tile)
        {
            case 0: (_c0, _c1, _c2, _c3) = (d0, d1, d2, d3); break;
            case 1: (_c4, _c5, _c6, _c7) = (d0, d1, d2, d3); break;
            case 2: (_c8, _c9, _c10, _c11) = (d0, d1, d2, d3); break;
            case 3: (_c12, _c13, _c14, _c15) = (d0, d1, d2, d3); break;
            case 4: (_c16, _c17, _c18, _c19) = (d0, d1, d2, d3); break;
            case 5: (_c20, _c21, _c22, _c23) = (d0, d1, d2, d3); break;
            case 6: (_c24, _c25, _c26, _c27) = (d0, d1, d2, d3); break;
            case 7: (_c28, _c29, _c30, _c31) = (d0, d1, d2, d3); break;
            case 8: (_c32, _c33, _c34, _c35) = (d0, d1, d2, d3); break;
            case 9: (_c36, _c37, _c38, _c39) = (d0, d1, d2, d3); break;
            case 10: (_c40, _c41, _c42, _c43) = (d0, d1, d2, d3); break;
            case 11: (_c44, _c45, _c46, _c47) = (d0, d1, d2, d3); break;
            case 12: (_c48, _c49, _c50, _c51) = (d0, d1, d2, d3); break;
            case 13: (_c52, _c53, _c54, _c55) = (d0, d1, d2, d3); break;
            case 14: (_c56, _c57, _c58, _c59) = (d0, d1, d2, d3); break;
            case 15: (_c60, _c61, _c62, _c63) = (d0, d1, d2, d3); break;
        }
    }
}
