namespace RepVgg.Gpu.Kernels;

/// <summary>
/// A thread issues <c>cp.async</c> copies of its share of the next step straight into the other slice before the step's
/// mma (sm_80 and newer, as the tensor-core kernels need anyway) and waits for them before the next barrier: no
/// registers hold the share, and one instruction moves 16 bytes. The kernel takes the device addresses of its input
/// and weights for them (<see cref="OperandAddresses"/>), as ILGPU gives a kernel no pointer it can hand to PTX. On
/// ILGPU's CPU accelerator, the same copies are plain loads and stores into the same places.
/// </summary>
internal readonly struct AsyncCopies : IStagingCopies
{
    public TensorCoreStaging Kind => TensorCoreStaging.AsyncCopies;
}
