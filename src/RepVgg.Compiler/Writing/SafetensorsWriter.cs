using System.Buffers.Binary;
using System.Text.Json;
using RepVgg.Checkpoints;
using RepVgg.Compiler.Outputs;

namespace RepVgg.Compiler.Writing;

/// <summary>
/// Writes safetensors files as the reference implementation does: an 8-byte little-endian header
/// length, a JSON header padded with spaces to a multiple of 8 bytes, then the tensors' bytes back to back.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> in the given order, each with its <see cref="TensorToWrite.Data"/> exactly.</summary>
    /// <param name="path">File to create or replace, atomically (<see cref="AtomicFile"/>).</param>
    /// <param name="tensors">Tensors in file order.</param>
    /// <param name="metadata">String pairs for the optional <c>__metadata__</c> entry.</param>
    /// <exception cref="ArgumentException">A tensor's type is <see cref="TensorDType.Other"/>.</exception>
    public static void Write(string path, IEnumerable<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        List<TensorToWrite> list = tensors.ToList();
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (TensorToWrite tensor in list)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", SafetensorsDTypeNames.Format(tensor.DType));
                json.WriteStartArray("shape");
                foreach (int size in tensor.Shape)
                    json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // The reference writer pads so the data section starts 8-byte aligned.
        while (header.Length % 8 != 0)
            header.WriteByte((byte)' ');

        // Atomically: a checkpoint cut short (a full disk, Ctrl-C) under the final name would fail every later build.
        AtomicFile.Write(path, file =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            file.Write(length);
            header.WriteTo(file);
            foreach (TensorToWrite tensor in list)
                file.Write(tensor.Data.Span);
        });
    }
}
