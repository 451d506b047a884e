namespace RepVgg.Gpu.Kernels;

internal static partial class Conv3x3MmaKernel
{
    /// <summary>
    /// A thread's staged share of a step (<see cref="Staging{TFormat, TTarget, TLayout, TReads}.Load"/>), held in
    /// registers between its loads and its stores (named fields: an array would live in local memory).
    /// </summary>
    internal readonly struct StagedWords(Words4 weights0, Words4 weights1, Words4 inputs0, Words4 inputs1)
    {
        private readonly Words4 _weights0 = weights0, _weights1 = weights1;
        private readonly Words4 _inputs0 = inputs0, _inputs1 = inputs1;

        /// <summary>Into slice <paramref name="slice"/> of <paramref name="ring"/>, where the thread's share of a step goes.</summary>
        public void Store(in StagingRing ring, int slice)
        {
            // At constant offsets from one address each (threads is the kernel's constant).
            ILGPU.ArrayView<Words4> lanes = ring.Staged.From(ring.WeightAt(slice));
            ILGPU.ArrayView<Words4> lines = ring.Staged.From(ring.InputAt(slice));
            lanes[0] = _weights0;
            lanes[ring.Threads] = _weights1;
            lines[0] = _inputs0;
            lines[ring.PixelStride] = _inputs1;
        }
    }
}
