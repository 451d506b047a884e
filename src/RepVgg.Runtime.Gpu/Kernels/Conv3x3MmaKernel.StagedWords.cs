using ILGPU;

namespace RepVgg.Gpu.Kernels;

internal static partial class Conv3x3MmaKernel
{
    /// <summary>
    /// A thread's staged share of a step, held in registers between its loads and its stores (named fields: an array would
    /// live in local memory); the last two of each operand with 4 shares only.
    /// </summary>
    private readonly struct StagedWords(Words4 weights0, Words4 weights1, Words4 weights2, Words4 weights3,
        Words4 inputs0, Words4 inputs1, Words4 inputs2, Words4 inputs3)
    {
        private readonly Words4 _weights0 = weights0, _weights1 = weights1, _weights2 = weights2, _weights3 = weights3;
        private readonly Words4 _inputs0 = inputs0, _inputs1 = inputs1, _inputs2 = inputs2, _inputs3 = inputs3;

        /// <summary>
        /// Into a slice of both operands: W lanes <paramref name="thread"/>, + <paramref name="threads"/>, and so on, X lines
        /// <paramref name="at"/> (the thread's line at its first pixel), + threads / 4, and so on (at its others).
        /// </summary>
        public void Store(ArrayView<Words4> weightSlice, ArrayView<Words4> inputSlice, int thread, int threads, int shares, int at)
        {
            // At constant offsets from one address each (threads and shares are the kernel's constants).
            ArrayView<Words4> lanes = weightSlice.From(thread);
            ArrayView<Words4> lines = inputSlice.From(at);
            int pixelStride = threads / LinesPerStep;
            lanes[0] = _weights0;
            lanes[threads] = _weights1;
            lines[0] = _inputs0;
            lines[pixelStride] = _inputs1;
            if (shares == 4)
            {
                lanes[2 * threads] = _weights2;
                lanes[3 * threads] = _weights3;
                lines[2 * pixelStride] = _inputs2;
                lines[3 * pixelStride] = _inputs3;
            }
        }
    }
}
