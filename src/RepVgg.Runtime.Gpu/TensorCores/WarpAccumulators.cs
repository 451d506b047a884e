using ILGPU;
using ILGPU.Runtime.Cuda;

namespace RepVgg.Gpu.TensorCores;

/// <summary>
/// One thread's share of a warp's block of float32 accumulators, 32 or 64 channels by 32 pixels: 16 x 8 mma tiles (two
/// or four of channels by four of pixels), four values each, in the layout of <c>mma.sync.aligned.m16n8k*</c>'s C and D
/// fragments. Tile <c>i * 4 + j</c> covers channels <c>16i</c> to <c>16i + 15</c> and pixels <c>8j</c> to <c>8j + 7</c>
/// of the block; element e of a thread (lane = 4 group + t) is channel <c>16i + group + 8 (e / 2)</c>, pixel
/// <c>8j + 2t + e % 2</c>. A kernel names only the tiles of its block: PTX registers it never names cost nothing.
/// </summary>
/// <remarks>
/// <para>
/// With <see cref="PtxTensorCores"/> the accumulators are PTX registers <c>rvacc0</c> to <c>rvacc63</c> that <see cref="Create"/> declares
/// in the kernel's body and every <c>mma.sync</c> names directly: ILGPU passes <c>out</c>/<c>ref</c> arguments of
/// inline PTX through local memory, which made mma loops about 6 times slower. Only <see cref="Result"/> copies
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

    /// <summary>Element <paramref name="element"/> (0 to 3) of tile <paramref name="tile"/>.</summary>
    public readonly float Result<TTarget>(int tile, int element) where TTarget : struct, ITensorCoreTarget
    {
        float value;
        if (default(TTarget).UsesPtx)
        {
            switch (tile * 4 + element)
            {
                case 0: CudaAsm.Emit("mov.f32 %0, rvacc0;", out value); return value;
                case 1: CudaAsm.Emit("mov.f32 %0, rvacc1;", out value); return value;
                case 2: CudaAsm.Emit("mov.f32 %0, rvacc2;", out value); return value;
                case 3: CudaAsm.Emit("mov.f32 %0, rvacc3;", out value); return value;
                case 4: CudaAsm.Emit("mov.f32 %0, rvacc4;", out value); return value;
                case 5: CudaAsm.Emit("mov.f32 %0, rvacc5;", out value); return value;
                case 6: CudaAsm.Emit("mov.f32 %0, rvacc6;", out value); return value;
                case 7: CudaAsm.Emit("mov.f32 %0, rvacc7;", out value); return value;
                case 8: CudaAsm.Emit("mov.f32 %0, rvacc8;", out value); return value;
                case 9: CudaAsm.Emit("mov.f32 %0, rvacc9;", out value); return value;
                case 10: CudaAsm.Emit("mov.f32 %0, rvacc10;", out value); return value;
                case 11: CudaAsm.Emit("mov.f32 %0, rvacc11;", out value); return value;
                case 12: CudaAsm.Emit("mov.f32 %0, rvacc12;", out value); return value;
                case 13: CudaAsm.Emit("mov.f32 %0, rvacc13;", out value); return value;
                case 14: CudaAsm.Emit("mov.f32 %0, rvacc14;", out value); return value;
                case 15: CudaAsm.Emit("mov.f32 %0, rvacc15;", out value); return value;
                case 16: CudaAsm.Emit("mov.f32 %0, rvacc16;", out value); return value;
                case 17: CudaAsm.Emit("mov.f32 %0, rvacc17;", out value); return value;
                case 18: CudaAsm.Emit("mov.f32 %0, rvacc18;", out value); return value;
                case 19: CudaAsm.Emit("mov.f32 %0, rvacc19;", out value); return value;
                case 20: CudaAsm.Emit("mov.f32 %0, rvacc20;", out value); return value;
                case 21: CudaAsm.Emit("mov.f32 %0, rvacc21;", out value); return value;
                case 22: CudaAsm.Emit("mov.f32 %0, rvacc22;", out value); return value;
                case 23: CudaAsm.Emit("mov.f32 %0, rvacc23;", out value); return value;
                case 24: CudaAsm.Emit("mov.f32 %0, rvacc24;", out value); return value;
                case 25: CudaAsm.Emit("mov.f32 %0, rvacc25;", out value); return value;
                case 26: CudaAsm.Emit("mov.f32 %0, rvacc26;", out value); return value;
                case 27: CudaAsm.Emit("mov.f32 %0, rvacc27;", out value); return value;
                case 28: CudaAsm.Emit("mov.f32 %0, rvacc28;", out value); return value;
                case 29: CudaAsm.Emit("mov.f32 %0, rvacc29;", out value); return value;
                case 30: CudaAsm.Emit("mov.f32 %0, rvacc30;", out value); return value;
                case 31: CudaAsm.Emit("mov.f32 %0, rvacc31;", out value); return value;
                case 32: CudaAsm.Emit("mov.f32 %0, rvacc32;", out value); return value;
                case 33: CudaAsm.Emit("mov.f32 %0, rvacc33;", out value); return value;
                case 34: CudaAsm.Emit("mov.f32 %0, rvacc34;", out value); return value;
                case 35: CudaAsm.Emit("mov.f32 %0, rvacc35;", out value); return value;
                case 36: CudaAsm.Emit("mov.f32 %0, rvacc36;", out value); return value;
                case 37: CudaAsm.Emit("mov.f32 %0, rvacc37;", out value); return value;
                case 38: CudaAsm.Emit("mov.f32 %0, rvacc38;", out value); return value;
                case 39: CudaAsm.Emit("mov.f32 %0, rvacc39;", out value); return value;
                case 40: CudaAsm.Emit("mov.f32 %0, rvacc40;", out value); return value;
                case 41: CudaAsm.Emit("mov.f32 %0, rvacc41;", out value); return value;
                case 42: CudaAsm.Emit("mov.f32 %0, rvacc42;", out value); return value;
                case 43: CudaAsm.Emit("mov.f32 %0, rvacc43;", out value); return value;
                case 44: CudaAsm.Emit("mov.f32 %0, rvacc44;", out value); return value;
                case 45: CudaAsm.Emit("mov.f32 %0, rvacc45;", out value); return value;
                case 46: CudaAsm.Emit("mov.f32 %0, rvacc46;", out value); return value;
                case 47: CudaAsm.Emit("mov.f32 %0, rvacc47;", out value); return value;
                case 48: CudaAsm.Emit("mov.f32 %0, rvacc48;", out value); return value;
                case 49: CudaAsm.Emit("mov.f32 %0, rvacc49;", out value); return value;
                case 50: CudaAsm.Emit("mov.f32 %0, rvacc50;", out value); return value;
                case 51: CudaAsm.Emit("mov.f32 %0, rvacc51;", out value); return value;
                case 52: CudaAsm.Emit("mov.f32 %0, rvacc52;", out value); return value;
                case 53: CudaAsm.Emit("mov.f32 %0, rvacc53;", out value); return value;
                case 54: CudaAsm.Emit("mov.f32 %0, rvacc54;", out value); return value;
                case 55: CudaAsm.Emit("mov.f32 %0, rvacc55;", out value); return value;
                case 56: CudaAsm.Emit("mov.f32 %0, rvacc56;", out value); return value;
                case 57: CudaAsm.Emit("mov.f32 %0, rvacc57;", out value); return value;
                case 58: CudaAsm.Emit("mov.f32 %0, rvacc58;", out value); return value;
                case 59: CudaAsm.Emit("mov.f32 %0, rvacc59;", out value); return value;
                case 60: CudaAsm.Emit("mov.f32 %0, rvacc60;", out value); return value;
                case 61: CudaAsm.Emit("mov.f32 %0, rvacc61;", out value); return value;
                case 62: CudaAsm.Emit("mov.f32 %0, rvacc62;", out value); return value;
                case 63: CudaAsm.Emit("mov.f32 %0, rvacc63;", out value); return value;
            }
        }
        switch (tile * 4 + element)
        {
            case 0: return _c0;
            case 1: return _c1;
            case 2: return _c2;
            case 3: return _c3;
            case 4: return _c4;
            case 5: return _c5;
            case 6: return _c6;
            case 7: return _c7;
            case 8: return _c8;
            case 9: return _c9;
            case 10: return _c10;
            case 11: return _c11;
            case 12: return _c12;
            case 13: return _c13;
            case 14: return _c14;
            case 15: return _c15;
            case 16: return _c16;
            case 17: return _c17;
            case 18: return _c18;
            case 19: return _c19;
            case 20: return _c20;
            case 21: return _c21;
            case 22: return _c22;
            case 23: return _c23;
            case 24: return _c24;
            case 25: return _c25;
            case 26: return _c26;
            case 27: return _c27;
            case 28: return _c28;
            case 29: return _c29;
            case 30: return _c30;
            case 31: return _c31;
            case 32: return _c32;
            case 33: return _c33;
            case 34: return _c34;
            case 35: return _c35;
            case 36: return _c36;
            case 37: return _c37;
            case 38: return _c38;
            case 39: return _c39;
            case 40: return _c40;
            case 41: return _c41;
            case 42: return _c42;
            case 43: return _c43;
            case 44: return _c44;
            case 45: return _c45;
            case 46: return _c46;
            case 47: return _c47;
            case 48: return _c48;
            case 49: return _c49;
            case 50: return _c50;
            case 51: return _c51;
            case 52: return _c52;
            case 53: return _c53;
            case 54: return _c54;
            case 55: return _c55;
            case 56: return _c56;
            case 57: return _c57;
            case 58: return _c58;
            case 59: return _c59;
            case 60: return _c60;
            case 61: return _c61;
            case 62: return _c62;
            case 63: return _c63;
        }
        return 0f;
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
        float d0 = Result<EmulatedTensorCores>(tile, 0), d1 = Result<EmulatedTensorCores>(tile, 1);
        float d2 = Result<EmulatedTensorCores>(tile, 2), d3 = Result<EmulatedTensorCores>(tile, 3);
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
