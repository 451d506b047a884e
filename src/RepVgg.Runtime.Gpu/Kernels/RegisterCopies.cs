namespace RepVgg.Gpu.Kernels;

/// <summary>
/// A thread loads its share of the next step into registers before the step's mma and stores it into the other slice
/// after them: the loads' latency hides behind the mma, at the price of the registers that hold them and of a load and a
/// store instruction per 16 bytes.
/// </summary>
internal readonly struct RegisterCopies : IStagingCopies
{
    public TensorCoreStaging Kind => TensorCoreStaging.Registers;
}
