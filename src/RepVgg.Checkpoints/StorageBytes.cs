namespace RepVgg.Checkpoints;

/// <summary>
/// The bytes of one storage: their declared length at once, the bytes themselves only when a tensor's
/// values are read. Readers hand out deferred storages, so a checkpoint's tensors cost memory one at
/// a time, while they are read, rather than all together.
/// </summary>
internal abstract class StorageBytes
{
    /// <summary>How many bytes the storage holds, as the file declares it.</summary>
    public abstract long Length { get; }

    /// <summary>The bytes, checked against the declared length (and the file's checksums where it has them).</summary>
    /// <exception cref="CheckpointException">The file changed, or its data does not match its headers.</exception>
    public abstract ReadOnlyMemory<byte> Load();

    /// <summary>Bytes already in memory (files written by tests, views of a loaded section).</summary>
    public static StorageBytes InMemory(ReadOnlyMemory<byte> bytes) => new Loaded(bytes);

    /// <summary>
    /// Bytes that <paramref name="load"/> reads from the file when asked for; a storage that several tensors
    /// view is read again only once the previous read has been collected.
    /// </summary>
    public static StorageBytes Deferred(long length, Func<byte[]> load, string path, string what) => new Reader(length, load, path, what);

    private sealed class Loaded(ReadOnlyMemory<byte> bytes) : StorageBytes
    {
        public override long Length => bytes.Length;

        public override ReadOnlyMemory<byte> Load() => bytes;
    }

    private sealed class Reader(long length, Func<byte[]> load, string path, string what) : StorageBytes
    {
        private readonly WeakReference<byte[]?> _last = new(null);

        public override long Length => length;

        public override ReadOnlyMemory<byte> Load()
        {
            if (_last.TryGetTarget(out byte[]? bytes) && bytes is not null)
                return bytes;
            bytes = load();
            if (bytes.Length != length)
                throw CheckpointException.Unreadable(path,
                    $"{what} in '{path}' held {length} bytes when the file was opened and {bytes.Length} when it was read; the file changed while it was being read.");
            _last.SetTarget(bytes);
            return bytes;
        }
    }
}
