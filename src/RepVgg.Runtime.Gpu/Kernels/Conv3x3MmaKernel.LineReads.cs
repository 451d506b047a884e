namespace RepVgg.Gpu.Kernels;

internal static partial class Conv3x3MmaKernel
{
    /// <summary>
    /// Where a thread reads its line at one pixel: the tap window and the first channel (one value at a time), or, for
    /// vector reads, the index of the 16-byte line (4 float32 or 8 half values) from that channel, when the line is
    /// present: inside the image and within the group's channels (its padding per tap reads zeros). An absent line's
    /// index is 0, so that no address is ever past the input (ILGPU's CPU accelerator checks views, and a kernel that
    /// throws there leaves its group's other threads at a barrier for ever).
    /// </summary>
    internal readonly struct LineReads
    {
        public readonly TapWindow Window;
        public readonly int Channel, Line;
        public readonly bool Present;

        public LineReads(TapWindow window, int channel, ConvShape shape, int valuesPerLine)
        {
            Window = window;
            Channel = channel;
            Present = window.Inside && channel < shape.InPerGroup;
            Line = Present ? (window.Offset + channel) / valuesPerLine : 0;
        }
    }
}
