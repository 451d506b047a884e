using ILGPU;
using ILGPU.Runtime.Cuda;

namespace RepVgg.Gpu.TensorCores;

/// <summary>
/// One thread's share of a warp's block of float32 accumulators, 32 or 64 channels by 32 or 64 pixels: 16 x 8 mma
/// tiles (two or four of channels by p = four or eight of pixels, up to 32 tiles), four values each, in the layout of
/// <c>mma.sync.aligned.m16n8k*</c>'s C and D fragments. Tile <c>i * p + j</c> covers channels <c>16i</c> to
/// <c>16i + 15</c> and pixels <c>8j</c> to <c>8j + 7</c> of the block; element e of a thread (lane = 4 group + t) is
/// channel <c>16i + group + 8 (e / 2)</c>, pixel <c>8j + 2t + e % 2</c>. A kernel names only the tiles of its block:
/// PTX registers it never names cost nothing.
/// </summary>
/// <remarks>
/// <para>
/// With <see cref="PtxTensorCores"/> the accumulators are PTX registers <c>rvacc0</c> to <c>rvacc127</c> that <see cref="Create"/> declares
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

    private float _c0, _c1, _c2, _c3, _c4, _c5, _c6, _c7, _c8, _c9, _c10, _c11, _c12, _c13, _c14, _c15, _c16, _c17, _c18, _c19, _c20, _c21, _c22, _c23, _c24, _c25, _c26, _c27, _c28, _c29, _c30, _c31, _c32, _c33, _c34, _c35, _c36, _c37, _c38, _c39, _c40, _c41, _c42, _c43, _c44, _c45, _c46, _c47, _c48, _c49, _c50, _c51, _c52, _c53, _c54, _c55, _c56, _c57, _c58, _c59, _c60, _c61, _c62, _c63, _c64, _c65, _c66, _c67, _c68, _c69, _c70, _c71, _c72, _c73, _c74, _c75, _c76, _c77, _c78, _c79, _c80, _c81, _c82, _c83, _c84, _c85, _c86, _c87, _c88, _c89, _c90, _c91, _c92, _c93, _c94, _c95, _c96, _c97, _c98, _c99, _c100, _c101, _c102, _c103, _c104, _c105, _c106, _c107, _c108, _c109, _c110, _c111, _c112, _c113, _c114, _c115, _c116, _c117, _c118, _c119, _c120, _c121, _c122, _c123, _c124, _c125, _c126, _c127;

    /// <summary>
    /// The zeroed accumulators; with PTX, their registers declared and zeroed; emulated, with the shared memory the lanes
    /// trade fragments through. Call once per kernel, from every thread.
    /// </summary>
    public static WarpAccumulators Create<TTarget>() where TTarget : struct, ITensorCoreTarget
    {
        if (!default(TTarget).UsesPtx)
            return new WarpAccumulators { _exchange = SharedMemory.Allocate<uint>(MaxWarps * WarpSize * FragmentWords) };
        CudaAsm.Emit(".reg .f32 rvacc<128>; mov.f32 rvacc0, 0f00000000; mov.f32 rvacc1, 0f00000000; mov.f32 rvacc2, 0f00000000; mov.f32 rvacc3, 0f00000000; mov.f32 rvacc4, 0f00000000; mov.f32 rvacc5, 0f00000000; mov.f32 rvacc6, 0f00000000; mov.f32 rvacc7, 0f00000000; mov.f32 rvacc8, 0f00000000; mov.f32 rvacc9, 0f00000000; mov.f32 rvacc10, 0f00000000; mov.f32 rvacc11, 0f00000000; mov.f32 rvacc12, 0f00000000; mov.f32 rvacc13, 0f00000000; mov.f32 rvacc14, 0f00000000; mov.f32 rvacc15, 0f00000000; mov.f32 rvacc16, 0f00000000; mov.f32 rvacc17, 0f00000000; mov.f32 rvacc18, 0f00000000; mov.f32 rvacc19, 0f00000000; mov.f32 rvacc20, 0f00000000; mov.f32 rvacc21, 0f00000000; mov.f32 rvacc22, 0f00000000; mov.f32 rvacc23, 0f00000000; mov.f32 rvacc24, 0f00000000; mov.f32 rvacc25, 0f00000000; mov.f32 rvacc26, 0f00000000; mov.f32 rvacc27, 0f00000000; mov.f32 rvacc28, 0f00000000; mov.f32 rvacc29, 0f00000000; mov.f32 rvacc30, 0f00000000; mov.f32 rvacc31, 0f00000000; mov.f32 rvacc32, 0f00000000; mov.f32 rvacc33, 0f00000000; mov.f32 rvacc34, 0f00000000; mov.f32 rvacc35, 0f00000000; mov.f32 rvacc36, 0f00000000; mov.f32 rvacc37, 0f00000000; mov.f32 rvacc38, 0f00000000; mov.f32 rvacc39, 0f00000000; mov.f32 rvacc40, 0f00000000; mov.f32 rvacc41, 0f00000000; mov.f32 rvacc42, 0f00000000; mov.f32 rvacc43, 0f00000000; mov.f32 rvacc44, 0f00000000; mov.f32 rvacc45, 0f00000000; mov.f32 rvacc46, 0f00000000; mov.f32 rvacc47, 0f00000000; mov.f32 rvacc48, 0f00000000; mov.f32 rvacc49, 0f00000000; mov.f32 rvacc50, 0f00000000; mov.f32 rvacc51, 0f00000000; mov.f32 rvacc52, 0f00000000; mov.f32 rvacc53, 0f00000000; mov.f32 rvacc54, 0f00000000; mov.f32 rvacc55, 0f00000000; mov.f32 rvacc56, 0f00000000; mov.f32 rvacc57, 0f00000000; mov.f32 rvacc58, 0f00000000; mov.f32 rvacc59, 0f00000000; mov.f32 rvacc60, 0f00000000; mov.f32 rvacc61, 0f00000000; mov.f32 rvacc62, 0f00000000; mov.f32 rvacc63, 0f00000000; mov.f32 rvacc64, 0f00000000; mov.f32 rvacc65, 0f00000000; mov.f32 rvacc66, 0f00000000; mov.f32 rvacc67, 0f00000000; mov.f32 rvacc68, 0f00000000; mov.f32 rvacc69, 0f00000000; mov.f32 rvacc70, 0f00000000; mov.f32 rvacc71, 0f00000000; mov.f32 rvacc72, 0f00000000; mov.f32 rvacc73, 0f00000000; mov.f32 rvacc74, 0f00000000; mov.f32 rvacc75, 0f00000000; mov.f32 rvacc76, 0f00000000; mov.f32 rvacc77, 0f00000000; mov.f32 rvacc78, 0f00000000; mov.f32 rvacc79, 0f00000000; mov.f32 rvacc80, 0f00000000; mov.f32 rvacc81, 0f00000000; mov.f32 rvacc82, 0f00000000; mov.f32 rvacc83, 0f00000000; mov.f32 rvacc84, 0f00000000; mov.f32 rvacc85, 0f00000000; mov.f32 rvacc86, 0f00000000; mov.f32 rvacc87, 0f00000000; mov.f32 rvacc88, 0f00000000; mov.f32 rvacc89, 0f00000000; mov.f32 rvacc90, 0f00000000; mov.f32 rvacc91, 0f00000000; mov.f32 rvacc92, 0f00000000; mov.f32 rvacc93, 0f00000000; mov.f32 rvacc94, 0f00000000; mov.f32 rvacc95, 0f00000000; mov.f32 rvacc96, 0f00000000; mov.f32 rvacc97, 0f00000000; mov.f32 rvacc98, 0f00000000; mov.f32 rvacc99, 0f00000000; mov.f32 rvacc100, 0f00000000; mov.f32 rvacc101, 0f00000000; mov.f32 rvacc102, 0f00000000; mov.f32 rvacc103, 0f00000000; mov.f32 rvacc104, 0f00000000; mov.f32 rvacc105, 0f00000000; mov.f32 rvacc106, 0f00000000; mov.f32 rvacc107, 0f00000000; mov.f32 rvacc108, 0f00000000; mov.f32 rvacc109, 0f00000000; mov.f32 rvacc110, 0f00000000; mov.f32 rvacc111, 0f00000000; mov.f32 rvacc112, 0f00000000; mov.f32 rvacc113, 0f00000000; mov.f32 rvacc114, 0f00000000; mov.f32 rvacc115, 0f00000000; mov.f32 rvacc116, 0f00000000; mov.f32 rvacc117, 0f00000000; mov.f32 rvacc118, 0f00000000; mov.f32 rvacc119, 0f00000000; mov.f32 rvacc120, 0f00000000; mov.f32 rvacc121, 0f00000000; mov.f32 rvacc122, 0f00000000; mov.f32 rvacc123, 0f00000000; mov.f32 rvacc124, 0f00000000; mov.f32 rvacc125, 0f00000000; mov.f32 rvacc126, 0f00000000; mov.f32 rvacc127, 0f00000000;");
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
                case 64: CudaAsm.Emit("mov.f32 %0, rvacc64;", out value); return value;
                case 65: CudaAsm.Emit("mov.f32 %0, rvacc65;", out value); return value;
                case 66: CudaAsm.Emit("mov.f32 %0, rvacc66;", out value); return value;
                case 67: CudaAsm.Emit("mov.f32 %0, rvacc67;", out value); return value;
                case 68: CudaAsm.Emit("mov.f32 %0, rvacc68;", out value); return value;
                case 69: CudaAsm.Emit("mov.f32 %0, rvacc69;", out value); return value;
                case 70: CudaAsm.Emit("mov.f32 %0, rvacc70;", out value); return value;
                case 71: CudaAsm.Emit("mov.f32 %0, rvacc71;", out value); return value;
                case 72: CudaAsm.Emit("mov.f32 %0, rvacc72;", out value); return value;
                case 73: CudaAsm.Emit("mov.f32 %0, rvacc73;", out value); return value;
                case 74: CudaAsm.Emit("mov.f32 %0, rvacc74;", out value); return value;
                case 75: CudaAsm.Emit("mov.f32 %0, rvacc75;", out value); return value;
                case 76: CudaAsm.Emit("mov.f32 %0, rvacc76;", out value); return value;
                case 77: CudaAsm.Emit("mov.f32 %0, rvacc77;", out value); return value;
                case 78: CudaAsm.Emit("mov.f32 %0, rvacc78;", out value); return value;
                case 79: CudaAsm.Emit("mov.f32 %0, rvacc79;", out value); return value;
                case 80: CudaAsm.Emit("mov.f32 %0, rvacc80;", out value); return value;
                case 81: CudaAsm.Emit("mov.f32 %0, rvacc81;", out value); return value;
                case 82: CudaAsm.Emit("mov.f32 %0, rvacc82;", out value); return value;
                case 83: CudaAsm.Emit("mov.f32 %0, rvacc83;", out value); return value;
                case 84: CudaAsm.Emit("mov.f32 %0, rvacc84;", out value); return value;
                case 85: CudaAsm.Emit("mov.f32 %0, rvacc85;", out value); return value;
                case 86: CudaAsm.Emit("mov.f32 %0, rvacc86;", out value); return value;
                case 87: CudaAsm.Emit("mov.f32 %0, rvacc87;", out value); return value;
                case 88: CudaAsm.Emit("mov.f32 %0, rvacc88;", out value); return value;
                case 89: CudaAsm.Emit("mov.f32 %0, rvacc89;", out value); return value;
                case 90: CudaAsm.Emit("mov.f32 %0, rvacc90;", out value); return value;
                case 91: CudaAsm.Emit("mov.f32 %0, rvacc91;", out value); return value;
                case 92: CudaAsm.Emit("mov.f32 %0, rvacc92;", out value); return value;
                case 93: CudaAsm.Emit("mov.f32 %0, rvacc93;", out value); return value;
                case 94: CudaAsm.Emit("mov.f32 %0, rvacc94;", out value); return value;
                case 95: CudaAsm.Emit("mov.f32 %0, rvacc95;", out value); return value;
                case 96: CudaAsm.Emit("mov.f32 %0, rvacc96;", out value); return value;
                case 97: CudaAsm.Emit("mov.f32 %0, rvacc97;", out value); return value;
                case 98: CudaAsm.Emit("mov.f32 %0, rvacc98;", out value); return value;
                case 99: CudaAsm.Emit("mov.f32 %0, rvacc99;", out value); return value;
                case 100: CudaAsm.Emit("mov.f32 %0, rvacc100;", out value); return value;
                case 101: CudaAsm.Emit("mov.f32 %0, rvacc101;", out value); return value;
                case 102: CudaAsm.Emit("mov.f32 %0, rvacc102;", out value); return value;
                case 103: CudaAsm.Emit("mov.f32 %0, rvacc103;", out value); return value;
                case 104: CudaAsm.Emit("mov.f32 %0, rvacc104;", out value); return value;
                case 105: CudaAsm.Emit("mov.f32 %0, rvacc105;", out value); return value;
                case 106: CudaAsm.Emit("mov.f32 %0, rvacc106;", out value); return value;
                case 107: CudaAsm.Emit("mov.f32 %0, rvacc107;", out value); return value;
                case 108: CudaAsm.Emit("mov.f32 %0, rvacc108;", out value); return value;
                case 109: CudaAsm.Emit("mov.f32 %0, rvacc109;", out value); return value;
                case 110: CudaAsm.Emit("mov.f32 %0, rvacc110;", out value); return value;
                case 111: CudaAsm.Emit("mov.f32 %0, rvacc111;", out value); return value;
                case 112: CudaAsm.Emit("mov.f32 %0, rvacc112;", out value); return value;
                case 113: CudaAsm.Emit("mov.f32 %0, rvacc113;", out value); return value;
                case 114: CudaAsm.Emit("mov.f32 %0, rvacc114;", out value); return value;
                case 115: CudaAsm.Emit("mov.f32 %0, rvacc115;", out value); return value;
                case 116: CudaAsm.Emit("mov.f32 %0, rvacc116;", out value); return value;
                case 117: CudaAsm.Emit("mov.f32 %0, rvacc117;", out value); return value;
                case 118: CudaAsm.Emit("mov.f32 %0, rvacc118;", out value); return value;
                case 119: CudaAsm.Emit("mov.f32 %0, rvacc119;", out value); return value;
                case 120: CudaAsm.Emit("mov.f32 %0, rvacc120;", out value); return value;
                case 121: CudaAsm.Emit("mov.f32 %0, rvacc121;", out value); return value;
                case 122: CudaAsm.Emit("mov.f32 %0, rvacc122;", out value); return value;
                case 123: CudaAsm.Emit("mov.f32 %0, rvacc123;", out value); return value;
                case 124: CudaAsm.Emit("mov.f32 %0, rvacc124;", out value); return value;
                case 125: CudaAsm.Emit("mov.f32 %0, rvacc125;", out value); return value;
                case 126: CudaAsm.Emit("mov.f32 %0, rvacc126;", out value); return value;
                case 127: CudaAsm.Emit("mov.f32 %0, rvacc127;", out value); return value;
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
            case 64: return _c64;
            case 65: return _c65;
            case 66: return _c66;
            case 67: return _c67;
            case 68: return _c68;
            case 69: return _c69;
            case 70: return _c70;
            case 71: return _c71;
            case 72: return _c72;
            case 73: return _c73;
            case 74: return _c74;
            case 75: return _c75;
            case 76: return _c76;
            case 77: return _c77;
            case 78: return _c78;
            case 79: return _c79;
            case 80: return _c80;
            case 81: return _c81;
            case 82: return _c82;
            case 83: return _c83;
            case 84: return _c84;
            case 85: return _c85;
            case 86: return _c86;
            case 87: return _c87;
            case 88: return _c88;
            case 89: return _c89;
            case 90: return _c90;
            case 91: return _c91;
            case 92: return _c92;
            case 93: return _c93;
            case 94: return _c94;
            case 95: return _c95;
            case 96: return _c96;
            case 97: return _c97;
            case 98: return _c98;
            case 99: return _c99;
            case 100: return _c100;
            case 101: return _c101;
            case 102: return _c102;
            case 103: return _c103;
            case 104: return _c104;
            case 105: return _c105;
            case 106: return _c106;
            case 107: return _c107;
            case 108: return _c108;
            case 109: return _c109;
            case 110: return _c110;
            case 111: return _c111;
            case 112: return _c112;
            case 113: return _c113;
            case 114: return _c114;
            case 115: return _c115;
            case 116: return _c116;
            case 117: return _c117;
            case 118: return _c118;
            case 119: return _c119;
            case 120: return _c120;
            case 121: return _c121;
            case 122: return _c122;
            case 123: return _c123;
            case 124: return _c124;
            case 125: return _c125;
            case 126: return _c126;
            case 127: return _c127;
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
            case 16: (_c64, _c65, _c66, _c67) = (d0, d1, d2, d3); break;
            case 17: (_c68, _c69, _c70, _c71) = (d0, d1, d2, d3); break;
            case 18: (_c72, _c73, _c74, _c75) = (d0, d1, d2, d3); break;
            case 19: (_c76, _c77, _c78, _c79) = (d0, d1, d2, d3); break;
            case 20: (_c80, _c81, _c82, _c83) = (d0, d1, d2, d3); break;
            case 21: (_c84, _c85, _c86, _c87) = (d0, d1, d2, d3); break;
            case 22: (_c88, _c89, _c90, _c91) = (d0, d1, d2, d3); break;
            case 23: (_c92, _c93, _c94, _c95) = (d0, d1, d2, d3); break;
            case 24: (_c96, _c97, _c98, _c99) = (d0, d1, d2, d3); break;
            case 25: (_c100, _c101, _c102, _c103) = (d0, d1, d2, d3); break;
            case 26: (_c104, _c105, _c106, _c107) = (d0, d1, d2, d3); break;
            case 27: (_c108, _c109, _c110, _c111) = (d0, d1, d2, d3); break;
            case 28: (_c112, _c113, _c114, _c115) = (d0, d1, d2, d3); break;
            case 29: (_c116, _c117, _c118, _c119) = (d0, d1, d2, d3); break;
            case 30: (_c120, _c121, _c122, _c123) = (d0, d1, d2, d3); break;
            case 31: (_c124, _c125, _c126, _c127) = (d0, d1, d2, d3); break;
        }
    }
}
