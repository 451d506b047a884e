using ILGPU;
using ILGPU.Runtime.Cuda;
using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;

namespace RepVgg.GpuCheck.Candidates;

/// <summary>
/// A candidate staging of the tensor-core kernel, never run on a GPU yet: a thread issues <c>cp.async</c> copies of its
/// share of step s + 2 straight into a ring of 3 slices before step s's mma (sm_80 and newer, as the tensor-core kernels
/// need anyway), so a step's copies have two steps' mma to land in, and waits for them before that step's barrier: no
/// registers hold the share, and one instruction moves 16 bytes. With 128 x 128 tiles the 3 slices are 48 KB of shared
/// memory, the most a group may declare statically. The copies read by address (<see cref="OperandAddresses"/>), as
/// ILGPU gives a kernel no pointer it can hand to PTX; on ILGPU's CPU accelerator they are plain loads and stores into
/// the same places. Only for layers whose groups read whole 16-byte lines (<see cref="VectorReads"/>, every RepVGG layer
/// past the stem).
/// </summary>
internal struct AsyncCopies : IStagingCopies
{
    private OperandAddresses _addresses;

    public static int Slices => 3;

    /// <summary>Steps 0 and 1 into slices 0 and 1: every slice but the last is filled ahead.</summary>
    public void Prologue<TFormat, TTarget, TLayout, TReads>(in Conv3x3MmaKernel.Staging<TFormat, TTarget, TLayout, TReads> staging,
        in Conv3x3MmaKernel.StagingRing ring, OperandAddresses addresses)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
    {
        _addresses = addresses;
        Copy(staging, ring, step: 0, slice: 0);
        Copy(staging, ring, step: 1, slice: 1);
    }

    /// <summary>All the thread's copies but the last step's it committed have landed (1 group in flight); the barrier then makes the group's visible.</summary>
    public readonly void AwaitStep<TTarget>() where TTarget : struct, ITensorCoreTarget
    {
        if (default(TTarget).UsesPtx)
            CudaAsm.Emit("cp.async.wait_group 1;");
    }

    /// <summary>Step s + 2 into the slice before this one, which every warp finished reading before the barrier.</summary>
    public readonly void Begin<TFormat, TTarget, TLayout, TReads>(in Conv3x3MmaKernel.Staging<TFormat, TTarget, TLayout, TReads> staging,
        in Conv3x3MmaKernel.StagingRing ring, int step, int slice)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads =>
        Copy(staging, ring, step + Slices - 1, slice == 0 ? Slices - 1 : slice - 1);

    public readonly void End(in Conv3x3MmaKernel.StagingRing ring, int nextSlice)
    {
    }

    /// <summary>No copy may still be landing in the group's shared memory when it exits.</summary>
    public readonly void Finish<TTarget>() where TTarget : struct, ITensorCoreTarget
    {
        if (default(TTarget).UsesPtx)
            CudaAsm.Emit("cp.async.wait_group 0;");
    }

    /// <summary>The thread's share of <paramref name="step"/> (as the engine's staging loads it) copied into <paramref name="slice"/>, as one group of copies.</summary>
    private readonly void Copy<TFormat, TTarget, TLayout, TReads>(in Conv3x3MmaKernel.Staging<TFormat, TTarget, TLayout, TReads> staging,
        in Conv3x3MmaKernel.StagingRing ring, int step, int slice)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads
    {
        int weightAt = ring.WeightAt(slice), inputAt = ring.InputAt(slice);
        CopyLine<TTarget>(ring.Staged, weightAt, staging.WeightLines, _addresses.Weights, staging.WeightLane(0, step), read: true, weights: true);
        CopyLine<TTarget>(ring.Staged, weightAt + ring.Threads, staging.WeightLines, _addresses.Weights, staging.WeightLane(1, step), read: true, weights: true);
        Conv3x3MmaKernel.LineReads first = staging.InputReads(0, step), second = staging.InputReads(1, step);
        CopyLine<TTarget>(ring.Staged, inputAt, staging.InputLines, _addresses.Input, first.Line, first.Present, weights: false);
        CopyLine<TTarget>(ring.Staged, inputAt + ring.PixelStride, staging.InputLines, _addresses.Input, second.Line, second.Present, weights: false);
        if (default(TTarget).UsesPtx)
            CudaAsm.Emit("cp.async.commit_group;");
    }

    /// <summary>
    /// 16-byte line <paramref name="index"/> of <paramref name="source"/>, which starts at <paramref name="address"/> on
    /// the device, or zeros unless <paramref name="read"/>, into line <paramref name="at"/> of <paramref name="staged"/>,
    /// the kernel's only shared allocation (<c>__shared_alloca0</c> in ILGPU's PTX): with PTX, a <c>cp.async</c> that
    /// reads 16 bytes or none and fills the rest with zeros; elsewhere, a load and a store. Weights (<paramref name="weights"/>,
    /// a constant) bypass L1, as a group reads each of their lines once; the activations go through it, as the windows of
    /// neighbouring pixels read the same input at other taps.
    /// </summary>
    private static void CopyLine<TTarget>(ArrayView<Conv3x3MmaKernel.Words4> staged, int at, ArrayView<Conv3x3MmaKernel.Words4> source, long address, int index,
        bool read, bool weights)
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
}
