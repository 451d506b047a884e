using RepVgg.Gpu.TensorCores;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// The engine's staging: a thread loads its share of the next step into registers before the step's mma and stores it
/// into the other of 2 slices after them. The loads' latency hides behind the mma, at the price of the registers that
/// hold the share and of a load and a store instruction per 16 bytes.
/// </summary>
internal struct RegisterCopies : IStagingCopies
{
    // The share of the next step, between its loads (Begin) and its stores (End).
    private Conv3x3MmaKernel.StagedWords _next;

    public static int Slices => 2;

    public readonly void Prologue<TFormat, TTarget, TLayout, TReads>(in Conv3x3MmaKernel.Staging<TFormat, TTarget, TLayout, TReads> staging,
        in Conv3x3MmaKernel.StagingRing ring, OperandAddresses addresses)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads =>
        staging.Load(0).Store(ring, 0);

    /// <summary>Nothing to wait for: the stores of the step were made before the barrier.</summary>
    public readonly void AwaitStep<TTarget>() where TTarget : struct, ITensorCoreTarget
    {
    }

    public void Begin<TFormat, TTarget, TLayout, TReads>(in Conv3x3MmaKernel.Staging<TFormat, TTarget, TLayout, TReads> staging,
        in Conv3x3MmaKernel.StagingRing ring, int step, int slice)
        where TFormat : struct, ITensorCoreFormat
        where TTarget : struct, ITensorCoreTarget
        where TLayout : struct, IActivationLayout
        where TReads : struct, IChannelReads =>
        _next = staging.Load(step + 1);

    public readonly void End(in Conv3x3MmaKernel.StagingRing ring, int nextSlice) => _next.Store(ring, nextSlice);

    public readonly void Finish<TTarget>() where TTarget : struct, ITensorCoreTarget
    {
    }
}
