using System.Reflection;
using System.Runtime.InteropServices;

namespace RepVgg;

/// <summary>
/// A model's fused weight blob: little-endian float32, in the packed layouts the offsets of
/// <see cref="NetworkLayout"/> point into. Read straight from the loaded assembly image when the
/// blob is an embedded resource (no copy), or from an array in tests and tools.
/// </summary>
public sealed unsafe class ModelWeights
{
    // Keeps the memory alive: the resource stream (its memory is the mapped assembly image) or a pinned array.
    private readonly object _owner;

    private ModelWeights(float* data, long length, object owner)
    {
        Data = data;
        Length = length;
        _owner = owner;
    }

    /// <summary>First float of the blob. Valid as long as this object is alive.</summary>
    public float* Data { get; }

    /// <summary>Length of the blob, in floats.</summary>
    public long Length { get; }

    /// <summary>A view of <paramref name="count"/> floats from <paramref name="offset"/>.</summary>
    public ReadOnlySpan<float> Slice(long offset, int count)
    {
        if (offset < 0 || count < 0 || offset + count > Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"Floats [{offset}, {offset + count}) lie outside the {Length}-float weight blob.");
        return new ReadOnlySpan<float>(Data + offset, count);
    }

    /// <summary>
    /// Maps the embedded resource <paramref name="resourceName"/> of <paramref name="assembly"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The resource is missing or has the wrong length.</exception>
    public static ModelWeights FromEmbeddedResource(Assembly assembly, string resourceName, long expectedFloats)
    {
        Stream stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"Assembly {assembly.GetName().Name} has no embedded resource '{resourceName}'; the RepVgg weights step did not run.");
        if (stream.Length != expectedFloats * sizeof(float))
            throw new InvalidOperationException(
                $"Embedded resource '{resourceName}' holds {stream.Length} bytes; expected {expectedFloats * sizeof(float)} ({expectedFloats} floats).");
        if (stream is UnmanagedMemoryStream mapped)
            return new ModelWeights((float*)mapped.PositionPointer, expectedFloats, mapped);

        // A resource not backed by the image (a dynamic assembly): copy it once.
        var copy = new float[expectedFloats];
        stream.ReadExactly(MemoryMarshal.AsBytes(copy.AsSpan()));
        stream.Dispose();
        return FromArray(copy);
    }

    /// <summary>
    /// Wraps an array without copying it; the array is pinned while this ModelWeights is alive (a finalizer
    /// unpins it once the ModelWeights is collected).
    /// </summary>
    public static ModelWeights FromArray(float[] blob)
    {
        var pin = GCHandle.Alloc(blob, GCHandleType.Pinned);
        return new ModelWeights((float*)pin.AddrOfPinnedObject(), blob.LongLength, new PinnedArray(pin));
    }

    private sealed class PinnedArray(GCHandle handle)
    {
        ~PinnedArray() => handle.Free();
    }
}
