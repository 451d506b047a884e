using ILGPU;
using ILGPU.Runtime.Cuda;
using RepVgg.Gpu.TensorCores;

namespace RepVgg.Gpu.Kernels;

internal static partial class Conv3x3MmaKernel
{
    /// <summary>
    /// <see cref="AsyncCopies"/>: 16-byte line <paramref name="index"/> of <paramref name="source"/>, which starts at
    /// <paramref name="address"/> on the device, or zeros unless <paramref name="read"/>, into line <paramref name="at"/> of
    /// <paramref name="staged"/>, the kernel's only shared allocation (<c>__shared_alloca0</c> in ILGPU's PTX): with PTX,
    /// a <c>cp.async</c> that reads 16 bytes or none and fills the rest with zeros; elsewhere, a load and a store.
    /// Weights (<paramref name="weights"/>, a constant) bypass L1, as a group reads each of their lines once; the
    /// activations go through it, as the windows of neighbouring pixels read the same input at other taps.
    /// </summary>
    private static void CopyLine<TTarget>(ArrayView<Words4> staged, int at, ArrayView<Words4> source, long address, int index, bool read, bool weights)
        where TTarget : struct, ITensorCoreTarget
    {
        if (!default(TTarget).UsesPtx)
        {
            staged[at] = read ? source[index] : default;
            return;
        }
        if (weights)
            CudaAsm.Emit("{ .reg .u64 rvdst, rvsrc; mov.b64 rvdst, __shared_alloca0; cvt.s64.s32 rvsrc, %0; add.s64 rvdst, rvdst, rvsrc; cvta.to.global.u64 rvsrc, %1; cp.async.cg.shared.global [rvdst], [rvsrc], 16; }",
                at * 16, address + index * 16L);
        else
            CudaAsm.Emit("{ .reg .u64 rvdst, rvsrc; mov.b64 rvdst, __shared_alloca0; cvt.s64.s32 rvsrc, %0; add.s64 rvdst, rvdst, rvsrc; cvta.to.global.u64 rvsrc, %1; cp.async.ca.shared.global [rvdst], [rvsrc], 16, %2; }",
                at * 16, address + index * 16L, read ? 16 : 0);
    }

    /// <summary><see cref="AsyncCopies"/>: closes the thread's copies of a step into one group (PTX; nothing to do elsewhere).</summary>
    private static void CommitCopies<TTarget>() where TTarget : struct, ITensorCoreTarget
    {
        if (default(TTarget).UsesPtx)
            CudaAsm.Emit("cp.async.commit_group;");
    }

    /// <summary><see cref="AsyncCopies"/>: waits until all the thread's copies have landed (PTX; they have elsewhere).</summary>
    private static void WaitForCopies<TTarget>() where TTarget : struct, ITensorCoreTarget
    {
        if (default(TTarget).UsesPtx)
            CudaAsm.Emit("cp.async.wait_group 0;");
    }

    /// <summary>
    /// <see cref="AsyncCopies"/>: waits until the thread's copies have landed but for the last step's it committed
    /// (<see cref="AsyncSlices"/> - 2 = 1 group in flight; PTX, they have elsewhere). A barrier then makes the group's visible.
    /// </summary>
    private static void WaitForCopiesButOne<TTarget>() where TTarget : struct, ITensorCoreTarget
    {
        if (default(TTarget).UsesPtx)
            CudaAsm.Emit("cp.async.wait_group 1;");
    }
}
