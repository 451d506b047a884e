using ILGPU;
using ILGPU.Runtime.Cuda;

namespace RepVgg.Gpu.TensorCores;

/// <summary>
/// TF32: float32's exponent with 10 mantissa bits, one value per word; <c>mma.sync.aligned.m16n8k8</c>, whose 8 k
/// are 8 words.
/// </summary>
/// <remarks>
/// The rounding is integer arithmetic on every target, bit for bit what <c>cvt.rna.tf32.f32</c> gives: inline PTX
/// returns its result through local memory (ILGPU passes <c>out</c> arguments by address).
/// </remarks>
internal readonly struct Tf32Format<TTarget> : ITensorCoreFormat
    where TTarget : struct, ITensorCoreTarget
{
    public int ValuesPerWord => 1;

    public uint Pack(float first, float second) => TensorCoreRounding.RoundToTf32(first);

    public float Dot(uint a, uint b) => Interop.IntAsFloat(a) * Interop.IntAsFloat(b);

    public void MultiplyAccumulate(ref WarpAccumulators accumulators, int tile, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1)
    {
        if (!default(TTarget).UsesPtx)
        {
            accumulators.Emulate<Tf32Format<TTarget>>(tile, a0, a1, a2, a3, b0, b1);
            return;
        }
        switch (tile)
        {
            case 0: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc0, rvacc1, rvacc2, rvacc3}, {%0, %1, %2, %3}, {%4, %5}, {rvacc0, rvacc1, rvacc2, rvacc3};", a0, a1, a2, a3, b0, b1); break;
            case 1: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc4, rvacc5, rvacc6, rvacc7}, {%0, %1, %2, %3}, {%4, %5}, {rvacc4, rvacc5, rvacc6, rvacc7};", a0, a1, a2, a3, b0, b1); break;
            case 2: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc8, rvacc9, rvacc10, rvacc11}, {%0, %1, %2, %3}, {%4, %5}, {rvacc8, rvacc9, rvacc10, rvacc11};", a0, a1, a2, a3, b0, b1); break;
            case 3: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc12, rvacc13, rvacc14, rvacc15}, {%0, %1, %2, %3}, {%4, %5}, {rvacc12, rvacc13, rvacc14, rvacc15};", a0, a1, a2, a3, b0, b1); break;
            case 4: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc16, rvacc17, rvacc18, rvacc19}, {%0, %1, %2, %3}, {%4, %5}, {rvacc16, rvacc17, rvacc18, rvacc19};", a0, a1, a2, a3, b0, b1); break;
            case 5: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc20, rvacc21, rvacc22, rvacc23}, {%0, %1, %2, %3}, {%4, %5}, {rvacc20, rvacc21, rvacc22, rvacc23};", a0, a1, a2, a3, b0, b1); break;
            case 6: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc24, rvacc25, rvacc26, rvacc27}, {%0, %1, %2, %3}, {%4, %5}, {rvacc24, rvacc25, rvacc26, rvacc27};", a0, a1, a2, a3, b0, b1); break;
            case 7: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc28, rvacc29, rvacc30, rvacc31}, {%0, %1, %2, %3}, {%4, %5}, {rvacc28, rvacc29, rvacc30, rvacc31};", a0, a1, a2, a3, b0, b1); break;
            case 8: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc32, rvacc33, rvacc34, rvacc35}, {%0, %1, %2, %3}, {%4, %5}, {rvacc32, rvacc33, rvacc34, rvacc35};", a0, a1, a2, a3, b0, b1); break;
            case 9: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc36, rvacc37, rvacc38, rvacc39}, {%0, %1, %2, %3}, {%4, %5}, {rvacc36, rvacc37, rvacc38, rvacc39};", a0, a1, a2, a3, b0, b1); break;
            case 10: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc40, rvacc41, rvacc42, rvacc43}, {%0, %1, %2, %3}, {%4, %5}, {rvacc40, rvacc41, rvacc42, rvacc43};", a0, a1, a2, a3, b0, b1); break;
            case 11: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc44, rvacc45, rvacc46, rvacc47}, {%0, %1, %2, %3}, {%4, %5}, {rvacc44, rvacc45, rvacc46, rvacc47};", a0, a1, a2, a3, b0, b1); break;
            case 12: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc48, rvacc49, rvacc50, rvacc51}, {%0, %1, %2, %3}, {%4, %5}, {rvacc48, rvacc49, rvacc50, rvacc51};", a0, a1, a2, a3, b0, b1); break;
            case 13: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc52, rvacc53, rvacc54, rvacc55}, {%0, %1, %2, %3}, {%4, %5}, {rvacc52, rvacc53, rvacc54, rvacc55};", a0, a1, a2, a3, b0, b1); break;
            case 14: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc56, rvacc57, rvacc58, rvacc59}, {%0, %1, %2, %3}, {%4, %5}, {rvacc56, rvacc57, rvacc58, rvacc59};", a0, a1, a2, a3, b0, b1); break;
            case 15: CudaAsm.Emit("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {rvacc60, rvacc61, rvacc62, rvacc63}, {%0, %1, %2, %3}, {%4, %5}, {rvacc60, rvacc61, rvacc62, rvacc63};", a0, a1, a2, a3, b0, b1); break;
        }
    }
}
