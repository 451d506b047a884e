using System.Runtime.CompilerServices;

namespace RepVgg.Cpu;

/// <summary>
/// One of the engine's two activation buffers: floats on the pinned object heap, so the kernels can
/// hold raw pointers to them while the GC runs, starting at a 64-byte boundary so that every
/// 16-lane pixel is one cache line and its vector loads and stores never split a line
/// (the layout's row and block sizes are multiples of 16 floats).
/// </summary>
internal sealed unsafe class ActivationBuffer
{
    private const int AlignmentFloats = 16;

    /// <summary>The most floats one buffer can hold: a .NET array's largest length, less the alignment slack.</summary>
    public static long MaxCapacity => Array.MaxLength - (AlignmentFloats - 1);

    // Kept only to keep the memory alive; Data points into it.
    private float[] _storage = [];

    /// <summary>First float, 64-byte aligned. Valid until the next <see cref="EnsureCapacity"/> that grows, or <see cref="Release"/>.</summary>
    public float* Data { get; private set; }

    /// <summary>Usable floats from <see cref="Data"/>.</summary>
    public long Capacity { get; private set; }

    /// <summary>
    /// Makes room for at least <paramref name="floats"/> floats. Growing discards the contents: a
    /// buffer is always completely rewritten by the layer (or input load) that grows it. At most
    /// <see cref="MaxCapacity"/>: the engine checks a batch against it before sizing the buffers.
    /// </summary>
    public void EnsureCapacity(long floats)
    {
        if (floats <= Capacity)
            return;
        _storage = GC.AllocateUninitializedArray<float>(checked((int)(floats + AlignmentFloats - 1)), pinned: true);
        float* first = (float*)Unsafe.AsPointer(ref _storage[0]);
        long misalignment = (long)first / sizeof(float) % AlignmentFloats;
        Data = first + (misalignment == 0 ? 0 : AlignmentFloats - misalignment);
        Capacity = floats;
    }

    /// <summary>Drops the storage, leaving the buffer empty; a later <see cref="EnsureCapacity"/> allocates again.</summary>
    public void Release()
    {
        _storage = [];
        Data = null;
        Capacity = 0;
    }
}
