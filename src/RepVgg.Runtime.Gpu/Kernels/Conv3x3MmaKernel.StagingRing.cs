using ILGPU;

namespace RepVgg.Gpu.Kernels;

internal static partial class Conv3x3MmaKernel
{
    /// <summary>
    /// The kernel's ring of shared-memory slices (<see cref="IStagingCopies"/> says how many), each one step of both
    /// operands, and where one thread's share of a step goes in it: W lanes <see cref="WeightAt"/> and + threads, X
    /// lines <see cref="InputAt"/> (its line at its first pixel) and + <see cref="PixelStride"/> (at its second).
    /// </summary>
    internal readonly struct StagingRing
    {
        /// <summary>The kernel's one shared allocation, in 16-byte lines: every slice of W, then every slice of X.</summary>
        public readonly ArrayView<Words4> Staged;

        /// <summary>The group's threads.</summary>
        public readonly int Threads;

        private readonly int _thread, _weightSliceLanes, _inputSliceLines, _inputStart, _inputLine;

        /// <param name="inputLine">The thread's first X line within a slice: its line of the step at its first pixel.</param>
        public StagingRing(ArrayView<Words4> staged, int slices, int weightSliceLanes, int inputSliceLines, int thread, int threads, int inputLine)
        {
            Staged = staged;
            Threads = threads;
            _thread = thread;
            _weightSliceLanes = weightSliceLanes;
            _inputSliceLines = inputSliceLines;
            _inputStart = slices * weightSliceLanes;
            _inputLine = inputLine;
        }

        /// <summary>Pixels between the two a thread stages: half the tile.</summary>
        public int PixelStride => Threads / LinesPerStep;

        /// <summary>The thread's first W lane of slice <paramref name="slice"/>, in <see cref="Staged"/>.</summary>
        public int WeightAt(int slice) => slice * _weightSliceLanes + _thread;

        /// <summary>The thread's first X line of slice <paramref name="slice"/>, in <see cref="Staged"/>.</summary>
        public int InputAt(int slice) => _inputStart + slice * _inputSliceLines + _inputLine;

        /// <summary>W's slice <paramref name="slice"/>: [channel block][word block][lane].</summary>
        public ArrayView<Words4> WeightSlice(int slice) => Staged.SubView(slice * _weightSliceLanes, _weightSliceLanes);

        /// <summary>X's slice <paramref name="slice"/>: [line][pixel], pair rows 2 line and 2 line + 1.</summary>
        public ArrayView<Words4> InputSlice(int slice) => Staged.SubView(_inputStart + slice * _inputSliceLines, _inputSliceLines);
    }
}
