using System.IO.MemoryMappedFiles;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace RepVgg;

/// <summary>
/// A model's fused weight blob: little-endian float32, in the packed layouts the offsets of
/// <see cref="NetworkLayout"/> point into, as <see cref="Layout"/> says. Read straight from the loaded assembly image
/// when the blob is an embedded resource, or from a file mapped beside the assembly (no copy either way), or from an
/// array in tests and tools.
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
    internal ConvAlgorithm StoredAlgorithm(Conv3x3Layer layer) => Cpu.Conv3x3Packing.StoredAlgorithm(Layout, layer.Algorithm);

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
    /// Maps the blob file <paramref name="fileName"/> that the build copied beside <paramref name="assembly"/>
    /// (<c>Embed="false"</c>), as <see cref="FromFile"/> does: in the assembly's folder, which is also a plug-in's, or in
    /// the application's base folder when the assembly has no file of its own (a single-file application).
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file has another length or another SHA-256.</exception>
    public static ModelWeights FromFileBeside(Assembly assembly, string fileName, long expectedFloats, string expectedSha256, WeightsLayout layout)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        string? folder = Path.GetDirectoryName(assembly.Location);
        return FromFile(Path.Combine(string.IsNullOrEmpty(folder) ? AppContext.BaseDirectory : folder, fileName), expectedFloats, expectedSha256, layout);
    }

    /// <summary>
    /// Maps the blob file <paramref name="path"/> (a model built with <c>Embed="false"</c>, whose weights the build copies
    /// beside the assembly), read-only and without copying it, after checking it is the blob the class was generated
    /// for: <paramref name="expectedFloats"/> floats whose SHA-256 is <paramref name="expectedSha256"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file has another length or another SHA-256.</exception>
    public static ModelWeights FromFile(string path, long expectedFloats, string expectedSha256, WeightsLayout layout)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(expectedSha256);
        long expectedBytes = expectedFloats * sizeof(float);
        var file = new FileInfo(path);
        if (!file.Exists)
            throw new FileNotFoundException(
                $"The model's weights file '{path}' is missing; expected {expectedBytes} bytes with SHA-256 {expectedSha256}, which the build copies beside the assembly (Embed=\"false\"). Build or publish the project again, or copy the file there.", path);
        if (file.Length != expectedBytes)
            throw new InvalidDataException(
                $"The model's weights file '{path}' holds {file.Length} bytes; expected {expectedBytes} ({expectedFloats} floats, SHA-256 {expectedSha256}). It is another model's weights, or a damaged copy: build or publish the project again.");
        var mapped = new MappedFile(path, expectedBytes);
        string sha256 = mapped.Sha256();
        if (!string.Equals(sha256, expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            mapped.Dispose();
            throw new InvalidDataException(
                $"The model's weights file '{path}' has SHA-256 {sha256}; expected {expectedSha256}. It is another model's weights, or a damaged copy: build or publish the project again.");
        }
        return new ModelWeights((float*)mapped.Pointer, expectedFloats, layout, mapped);
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

    /// <summary>
    /// A file mapped read-only. It stays mapped until the process ends, as an embedded blob's assembly image does: a
    /// generated class keeps its weights for the process's life.
    /// </summary>
    private sealed class MappedFile : IDisposable
    {
        // Hashed a gigabyte at a time: a span holds at most 2 GB.
        private const int HashChunk = 1 << 30;

        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;
        private readonly long _bytes;

        public MappedFile(string path, long bytes)
        {
            _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
            _view = _file.CreateViewAccessor(0, bytes, MemoryMappedFileAccess.Read);
            _bytes = bytes;
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            Pointer = pointer + _view.PointerOffset;
        }

        public byte* Pointer { get; }

        /// <summary>The SHA-256 of the mapped bytes, lower-case hex.</summary>
        public string Sha256()
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            for (long done = 0; done < _bytes; done += HashChunk)
                hash.AppendData(new ReadOnlySpan<byte>(Pointer + done, (int)Math.Min(HashChunk, _bytes - done)));
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        /// <summary>Unmaps a file found wrong before any <see cref="ModelWeights"/> held it.</summary>
        public void Dispose()
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }
    }
}
