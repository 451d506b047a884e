using RepVgg.Gpu.TensorCores;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// How <see cref="Conv3x3MmaKernel"/> moves each step's share of W and X from global into shared memory, a thread at a
/// time: into a ring of <see cref="Slices"/> slices, staying ahead of the step whose mma run. The kernel calls these
/// around its step loop, on one value of the type per thread (which may hold the share in flight), and ILGPU compiles
/// each implementation into its own kernel with every call inlined. The engine's is <see cref="RegisterCopies"/>; the
/// GPU check (tools/gpu-check) times other implementations against it without their code in the product.
/// </summary>
internal interface IStagingCopies
{
    /// <summary>Slices of the ring: at least 2, so that a step can be staged while the last one is read.</summary>
    static abstract int Slices { get; }

    /// <summary>
    /// Before the loop: stages what must be in place before step 0's barrier (step 0 at least, into slice 0).
    /// <paramref name="addresses"/> are the kernel's, for a staging that copies by address.
    /// </summary>
    void Prologue<TFormat, TTarget, TLayout, TReads>(in Conv3x3MmaKernel.Staging<TFormat, TTarget, TLayout, TReads> staging, in Conv3x3MmaKernel.StagingRing ring,
        OperandAddresses addresses)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads;

    /// <summary>Before a step's barrier: waits until the thread's share of that step has landed.</summary>
    void AwaitStep<TTarget>() where TTarget : struct, ITensorCoreTarget;

    /// <summary>
    /// Past step <paramref name="step"/>'s barrier, before its mma, which read slice <paramref name="slice"/>: starts
    /// staging a later step into a slice no warp reads until then.
    /// </summary>
    void Begin<TFormat, TTarget, TLayout, TReads>(in Conv3x3MmaKernel.Staging<TFormat, TTarget, TLayout, TReads> staging, in Conv3x3MmaKernel.StagingRing ring,
        int step, int slice)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads;

    /// <summary>After a step's mma; <paramref name="nextSlice"/> is the slice the next step reads.</summary>
    void End(in Conv3x3MmaKernel.StagingRing ring, int nextSlice);

    /// <summary>After the last step: nothing the thread staged may still be landing when the kernel exits.</summary>
    void Finish<TTarget>() where TTarget : struct, ITensorCoreTarget;
}
