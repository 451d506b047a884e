using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace RepVgg.Checkpoints;

/// <summary>
/// Reads safetensors files: an 8-byte little-endian header length, a JSON header mapping each tensor
/// name to its dtype, shape and <c>data_offsets</c> (relative to the data section), then the data.
/// The whole header is validated before any data is read; each tensor's bytes are read from the file
/// when its values are asked for.
/// </summary>
public static class SafetensorsReader
{
    private const string MetadataKey = "__metadata__";

    /// <summary>The largest header read: the format's own limit (100 MB). A RepVGG header is a few KB.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    /// <summary>Reads every tensor of the file at <paramref name="path"/>, in header order.</summary>
    /// <exception cref="CheckpointException">
    /// <see cref="CheckpointProblem.Unreadable"/> when the header length, the JSON, an offset or a byte
    /// length does not fit the file; <see cref="CheckpointProblem.Missing"/> when there is no file.
    /// </exception>
    public static StateDict Read(string path)
    {
        using FileStream stream = CheckpointReader.Open(path);
        long fileLength = stream.Length;
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
            throw CheckpointException.Unreadable(path,
                $"'{path}' is {fileLength} bytes long; expected a safetensors file, which starts with an 8-byte header length.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes)
            throw CheckpointException.Unreadable(path,
                $"'{path}' declares a safetensors header of {headerLength} bytes; the format allows at most {MaxHeaderBytes}.");
        if (headerLength > (ulong)(fileLength - 8))
            throw CheckpointException.Unreadable(path,
                $"'{path}' declares a safetensors header of {headerLength} bytes, but only {fileLength - 8} bytes follow the length field; the file is truncated or not safetensors.");

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataLength = fileLength - 8 - (long)headerLength;

        // JsonDocument does not check the UTF-8 inside strings; reading a name would throw later instead.
        if (!Utf8.IsValid(header))
            throw CheckpointException.Unreadable(path, $"The safetensors header of '{path}' is not valid UTF-8; the file is corrupt or not safetensors.");
        List<TensorEntry> entries = ParseHeader(header, dataLength, path);
        RequireExactCover(entries, dataLength, path);
        long dataStart = 8 + (long)headerLength;
        // Each tensor's bytes are read when its values are, from the file opened again.
        return new StateDict(path, entries.Select(entry => new CheckpointTensor(path, entry.Name, entry.DType, entry.DTypeName,
            entry.Shape, 0, CheckpointTensor.ContiguousStrides(entry.Shape),
            StorageBytes.Deferred(entry.End - entry.Begin, () => CheckpointReader.ReadRange(path, dataStart + entry.Begin, entry.End - entry.Begin), path, $"Tensor {DiagnosticText.Quote(entry.Name)}"))));
    }

    /// <summary>
    /// The format requires the tensors to cover the data section exactly, back to back: bytes that two
    /// tensors share, or that none owns, mean the header lies about the data.
    /// </summary>
    private static void RequireExactCover(List<TensorEntry> entries, long dataLength, string path)
    {
        long next = 0;
        TensorEntry? previous = null;
        foreach (TensorEntry entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin != next)
                throw CheckpointException.Unreadable(path, entry.Begin < next
                    ? $"Tensors {DiagnosticText.Quote(previous!.Name)} [{previous.Begin}, {previous.End}] and {DiagnosticText.Quote(entry.Name)} [{entry.Begin}, {entry.End}] " +
                      $"in '{path}' overlap; safetensors requires each byte of the data section to belong to exactly one tensor. The file is corrupt."
                    : $"Bytes [{next}, {entry.Begin}) of the data section of '{path}' belong to no tensor; safetensors requires the tensors to cover it " +
                      "without holes. The file is corrupt.", entry.Name);
            (next, previous) = (entry.End, entry);
        }
        if (next != dataLength)
            throw CheckpointException.Unreadable(path,
                $"The tensors of '{path}' cover {next} bytes of its {dataLength}-byte data section; safetensors requires them to cover all of it. The file is corrupt.");
    }

    private sealed record TensorEntry(string Name, TensorDType DType, string DTypeName, int[] Shape, long Begin, long End);

    private static List<TensorEntry> ParseHeader(byte[] header, long dataLength, string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw CheckpointException.Unreadable(path, $"The safetensors header of '{path}' is not valid JSON ({e.Message}); the file is corrupt or not safetensors.");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw CheckpointException.Unreadable(path, $"The safetensors header of '{path}' is a JSON {document.RootElement.ValueKind}; expected an object of tensors.");
            var entries = new List<TensorEntry>();
            try
            {
                foreach (JsonProperty property in document.RootElement.EnumerateObject())
                {
                    if (property.Name != MetadataKey)
                        entries.Add(ParseTensor(property.Name, property.Value, dataLength, path));
                }
            }
            catch (InvalidOperationException e)
            {
                // A string escape that is no text, such as a lone surrogate ("\udc00"), fails only when read.
                throw CheckpointException.Unreadable(path, $"The safetensors header of '{path}' holds a string that is not valid text ({e.Message}); the file is corrupt.");
            }
            return entries;
        }
    }

    private static TensorEntry ParseTensor(string name, JsonElement tensor, long dataLength, string path)
    {
        CheckpointException Malformed(string found) => CheckpointException.Unreadable(path,
            $"Tensor '{name}' in the safetensors header of '{path}' has {found}; expected {{\"dtype\": \"F32\", \"shape\": [...], \"data_offsets\": [begin, end]}}.", name);

        if (tensor.ValueKind != JsonValueKind.Object
            || !tensor.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !tensor.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !tensor.TryGetProperty("data_offsets", out JsonElement offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array)
            throw Malformed($"the entry {DiagnosticText.Quote(tensor.GetRawText())}");

        var shape = new List<int>();
        foreach (JsonElement size in shapeElement.EnumerateArray())
        {
            if (size.ValueKind != JsonValueKind.Number || !size.TryGetInt32(out int value) || value < 0)
                throw Malformed($"the shape {DiagnosticText.Quote(shapeElement.GetRawText())}");
            shape.Add(value);
        }
        var offsets = new List<long>();
        foreach (JsonElement offset in offsetsElement.EnumerateArray())
        {
            if (offset.ValueKind != JsonValueKind.Number || !offset.TryGetInt64(out long value) || value < 0)
                throw Malformed($"the data_offsets {DiagnosticText.Quote(offsetsElement.GetRawText())}");
            offsets.Add(value);
        }
        if (offsets.Count != 2 || offsets[0] > offsets[1])
            throw Malformed($"the data_offsets {DiagnosticText.Quote(offsetsElement.GetRawText())}");

        long begin = offsets[0], end = offsets[1];
        if (end - begin > Array.MaxLength)
            throw CheckpointException.Unreadable(path,
                $"Tensor '{name}' in '{path}' has data_offsets [{begin}, {end}]: {end - begin} bytes; expected at most {Array.MaxLength} per tensor.", name);
        if (end > dataLength)
            throw CheckpointException.Unreadable(path,
                $"Tensor '{name}' in '{path}' has data_offsets [{begin}, {end}], but the data section holds only {dataLength} bytes; the file is truncated or corrupt.", name);

        string dtypeName = dtypeElement.GetString()!;
        TensorDType dtype = SafetensorsDTypeNames.Parse(dtypeName);
        // An unknown type's element size is unknown too; its values are never read, so its length goes unchecked.
        long expectedBytes;
        try
        {
            expectedBytes = checked(CheckpointTensor.CountElements(shape) * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            expectedBytes = long.MaxValue;
        }
        if (dtype != TensorDType.Other && expectedBytes != end - begin)
            throw CheckpointException.Unreadable(path,
                $"Tensor '{name}' in '{path}' is {dtypeName} with shape {CheckpointTensor.FormatShape(shape)}, which needs {expectedBytes} bytes; " +
                $"its data_offsets [{begin}, {end}] hold {end - begin}. The file is corrupt.", name);
        return new TensorEntry(name, dtype, dtypeName, shape.ToArray(), begin, end);
    }
}
