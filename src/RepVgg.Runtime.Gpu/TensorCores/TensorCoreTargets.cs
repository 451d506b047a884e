namespace RepVgg.Gpu.TensorCores;

/// <summary>
/// Where the tensor-core kernels get their mma from: PTX on a CUDA GPU, or an emulation on ILGPU's CPU accelerator,
/// where the tests run the same kernels. A type argument, not a run-time test: ILGPU folds the branch on
/// <see cref="UsesPtx"/> away when it compiles a kernel, so the GPU's code holds no emulation (it does not fold a
/// test of <c>Accelerator.CurrentType</c>), and the CPU accelerator never meets inline PTX.
/// </summary>
internal interface ITensorCoreTarget
{
    /// <summary>Whether mma and the conversions are PTX instructions (true) or emulated (false).</summary>
    bool UsesPtx { get; }
}

/// <summary>A CUDA GPU of compute capability 8.0 or newer: <c>mma.sync</c> and <c>cvt</c>.</summary>
internal readonly struct PtxTensorCores : ITensorCoreTarget
{
    public bool UsesPtx => true;
}

/// <summary>ILGPU's CPU accelerator: <see cref="WarpAccumulators.Emulate{TFormat}"/> and <see cref="TensorCoreRounding"/>.</summary>
internal readonly struct EmulatedTensorCores : ITensorCoreTarget
{
    public bool UsesPtx => false;
}
