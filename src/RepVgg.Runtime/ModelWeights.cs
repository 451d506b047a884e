using System.Reflection;
using System.Runtime.InteropServices;

namespace RepVgg;

/// <summary>
/// A model's fused weight blob: little-endian float32, in the packed layouts the offsets of
/// <see cref="NetworkLayout"/> point into, as <see cref="Layout"/> says. Read straight from the loaded assembly image
/// when the blob is an embedded resource (no copy), or from an array in tests and tools.
/// </summary>
public sealed unsafe class ModelWeights
{
    // Keeps the memory alive: the resource stream (its memory is the mapped assembly image) or a pinned array.
    private readonly object _owner;

    private ModelWeights(float* data, long length, WeightsLayout layout, object owner)
    {
        Data = data;
        Length = length;
        Layout = layout;
        _owner = owner;
    }

    /// <summary>How the blob holds the conv layers' weights.</summary>
    public WeightsLayout Layout { get; }

    /// <summary>
    /// The layout the blob holds <paramref name="layer"/>'s weights in, named by the algorithm that reads it: the
    /// layer's own when prepacked, the direct layout in a compact blob.
    /// </summary>
    internal ConvAlgorithm StoredAlgorithm(Conv3x3Layer layer) => Layout == WeightsLayout.Compact ? ConvAlgorithm.Direct : layer.Algorithm;

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
    /// Maps the embedded resource <paramref name="resourceName"/> of <paramref name="assembly"/>, a blob in <paramref name="layout"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The resource is missing or has the wrong length.</exception>
    public static ModelWeights FromEmbeddedResource(Assembly assembly, string resourceName, long expectedFloats, WeightsLayout layout)
    {
        Stream stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"Assembly {assembly.GetName().Name} has no embedded resource '{resourceName}'; the RepVgg weights step did not run.");
        if (stream.Length != expectedFloats * sizeof(float))
            throw new InvalidOperationException(
                $"Embedded resource '{resourceName}' holds {stream.Length} bytes; expected {expectedFloats * sizeof(float)} ({expectedFloats} floats).");
        if (stream is UnmanagedMemoryStream mapped)
            return new ModelWeights((float*)mapped.PositionPointer, expectedFloats, layout, mapped);

        // A resource not backed by the image (a dynamic assembly): copy it once.
        var copy = new float[expectedFloats];
        stream.ReadExactly(MemoryMarshal.AsBytes(copy.AsSpan()));
        stream.Dispose();
        return FromArray(copy, layout);
    }

    /// <summary>
    /// Wraps an array, a blob in <paramref name="layout"/>, without copying it; the array is pinned while this
    /// ModelWeights is alive (a finalizer unpins it once the ModelWeights is collected).
    /// </summary>
    public static ModelWeights FromArray(float[] blob, WeightsLayout layout)
    {
        var pin = GCHandle.Alloc(blob, GCHandleType.Pinned);
        return new ModelWeights((float*)pin.AddrOfPinnedObject(), blob.LongLength, layout, new PinnedArray(pin));
    }

    private sealed class PinnedArray(GCHandle handle)
    {
        ~PinnedArray() => handle.Free();
    }
}
