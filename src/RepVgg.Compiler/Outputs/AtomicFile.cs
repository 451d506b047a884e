namespace RepVgg.Compiler.Outputs;

/// <summary>
/// Writes a file so that its name only ever holds a complete file: the old one, or the new one. The bytes go to a
/// temporary file beside the target (<c>.&lt;name&gt;.&lt;random&gt;.tmp</c>, in the same folder so the rename
/// stays on one filesystem), which is flushed to disk and then renamed over the target, an atomic replacement.
/// </summary>
/// <remarks>
/// A write that fails (a full disk, an exception in the writer) deletes its temporary file and leaves the previous
/// target untouched. A process killed midway (Ctrl-C: SIGINT ends a .NET process without running finally blocks)
/// never reaches the rename, so the target is intact too; only its temporary file may remain. Two processes that
/// write the same target each write their own temporary file, so they never share a handle: the last rename wins.
/// </remarks>
public static class AtomicFile
{
    /// <summary>The write buffer: large writes (a blob of hundreds of MB) go to the disk in 1 MiB pieces.</summary>
    private const int BufferBytes = 1 << 20;

    /// <summary>Writes the file at <paramref name="path"/> with what <paramref name="write"/> writes to the stream it is given.</summary>
    /// <param name="path">The file to create or replace; its folder must exist.</param>
    /// <param name="write">Writes the whole content; the stream is flushed and closed after it returns.</param>
    /// <exception cref="IOException">The folder is missing, <paramref name="path"/> is a folder, or the disk is full.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        string target = Path.GetFullPath(path);
        // Renaming a file over a folder fails with "Access denied", which sends users looking for permissions.
        if (Directory.Exists(target))
            throw new IOException($"'{path}' is a folder; expected the path of a file to write.");
        string temporary = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Path.GetRandomFileName()}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferBytes))
            {
                write(stream);
                // On the disk before the rename: after a power cut the name holds the old file or all of the new one.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            // Exists first: with the folder missing, Delete would throw and hide the reason the write failed.
            if (File.Exists(temporary)) File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte order mark, as <see cref="File.WriteAllText(string, string)"/> does.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)));
}
