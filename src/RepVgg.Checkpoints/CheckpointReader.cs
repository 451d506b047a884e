namespace RepVgg.Checkpoints;

/// <summary>
/// Reads any checkpoint users bring, choosing the format from the file's first bytes rather than its
/// extension: a zip is a PyTorch checkpoint, a bare pickle a legacy (pre-1.6) one, anything else is
/// tried as safetensors.
/// </summary>
public static class CheckpointReader
{
    /// <summary>Reads the state dict of the checkpoint at <paramref name="path"/>.</summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="stateDictKey">
    /// For PyTorch checkpoints, the top-level entry that holds the state dict (<c>state_dict_ema</c>); null
    /// reads <c>state_dict</c>, else <c>model</c>, else the top level. Safetensors files have no entries.
    /// </param>
    /// <exception cref="CheckpointException">
    /// <see cref="CheckpointProblem.Missing"/> when there is no such file; <see cref="CheckpointProblem.Unreadable"/>
    /// when it is neither format or is damaged; <see cref="CheckpointProblem.ForbiddenGlobal"/> when the state dict's
    /// tensors need a global off the allow-list; <see cref="CheckpointProblem.WholeModule"/> for a pickled module;
    /// <see cref="CheckpointProblem.StateDictKeyNotFound"/> when <paramref name="stateDictKey"/> names no state dict.
    /// </exception>
    public static StateDict Read(string path, string? stateDictKey = null)
    {
        Span<byte> head = stackalloc byte[16];
        int read;
        using (FileStream stream = Open(path))
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..read];

        // "PK\x03\x04" starts a zip's first entry; "PK\x05\x06" is an empty zip, which PthReader reports clearly.
        if (head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8))
            return PthReader.Read(path, stateDictKey);
        // A pickle starts with PROTO (0x80); torch.save wrote bare pickles before PyTorch 1.6.
        if (head.Length >= 2 && head[0] == 0x80 && head[1] <= 5)
            return LegacyPthReader.Read(path, stateDictKey);
        // A safetensors header is a JSON object right after its 8-byte length.
        if ((head.Length > 8 && head[8] == (byte)'{') || path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            if (stateDictKey is not null)
                throw new CheckpointException(CheckpointProblem.StateDictKeyNotFound, path, null,
                    $"The project asks for the state_dict under '{stateDictKey}' (StateDictKey), but '{path}' is a safetensors file, " +
                    "which holds one flat set of tensors and no entries; remove StateDictKey.");
            return SafetensorsReader.Read(path);
        }
        throw CheckpointException.Unreadable(path, head.Length == 0
            ? $"'{path}' is empty or is not a regular file; expected a PyTorch checkpoint (.pth) or a safetensors file."
            : $"'{path}' is neither a PyTorch checkpoint (a zip starting with 'PK') nor a safetensors file (an 8-byte header length then '{{'); " +
              $"it starts with the bytes {Convert.ToHexString(head)}.");
    }

    /// <summary>
    /// Opens a checkpoint for reading, turning file-system failures into <see cref="CheckpointException"/>.
    /// Only a non-empty regular file is opened: opening a FIFO blocks until a writer appears, and a
    /// device such as /dev/zero never ends. .NET reports such files (and an empty one) with length 0,
    /// which no checkpoint has.
    /// </summary>
    internal static FileStream Open(string path)
    {
        try
        {
            if (Directory.Exists(path))
                throw CheckpointException.Unreadable(path, $"'{path}' is a directory; expected a checkpoint file (.pth or .safetensors).");
            var info = new FileInfo(path);
            // A symbolic link loop (or a link to nothing) looks like a missing file unless its links are followed.
            if (info.LinkTarget is not null)
                info.ResolveLinkTarget(returnFinalTarget: true);
            if (info.Exists && info.Length == 0)
                throw CheckpointException.Unreadable(path,
                    $"'{path}' is empty or is not a regular file (a FIFO, socket or device); expected a checkpoint file (.pth or .safetensors).");
            return File.OpenRead(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointException(CheckpointProblem.Missing, path, null,
                $"Expected a checkpoint file at '{path}'; found no such file.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CheckpointException.Unreadable(path, $"'{path}' could not be opened for reading ({e.Message}).");
        }
    }

    /// <summary>
    /// <paramref name="length"/> bytes from <paramref name="start"/> of the file, opened again; fewer when the
    /// file has shrunk since it was read (the caller compares the length with what it declared).
    /// </summary>
    internal static byte[] ReadRange(string path, long start, long length)
    {
        using FileStream stream = Open(path);
        var bytes = new byte[length];
        stream.Position = start;
        int read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        return read == bytes.Length ? bytes : bytes[..read];
    }
}
