using System.Buffers.Binary;
using System.Text;
using RepVgg.Checkpoints;

namespace RepVgg.Compiler.Writing;

/// <summary>
/// A zip of uncompressed entries, laid out like PyTorch's <c>PyTorchStreamWriter</c>: every entry's
/// data may start on an <c>alignment</c>-byte boundary, padded by an extra field in the local header,
/// so a loader can memory-map storages. <c>ZipArchive</c> cannot place data like this, hence this writer.
/// No zip64: archives stay under 4 GiB and 65535 entries, which covers every RepVGG variant.
/// </summary>
internal sealed class StoredZipWriter
{
    private const ushort VersionNeeded = 20;
    // Extra-field id PyTorch's writer uses for its padding ("FB").
    private const ushort PaddingFieldId = 0x4246;

    private readonly Stream _output;
    private readonly int _alignment;
    private readonly List<(byte[] Name, uint Crc, uint Size, uint Offset)> _entries = [];

    /// <param name="output">Written forward only; its Position gives entry offsets.</param>
    /// <param name="alignment">Data start alignment in bytes; 1 for none.</param>
    public StoredZipWriter(Stream output, int alignment)
    {
        _output = output;
        _alignment = alignment;
    }

    public void Add(string name, ReadOnlySpan<byte> data)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        uint offset = CheckedOffset(_output.Position);
        uint crc = Crc32.Compute(data);

        long dataStart = _output.Position + 30 + nameBytes.Length;
        int extraLength = 0;
        if (dataStart % _alignment != 0)
        {
            // The extra field has a 4-byte header of its own, then as many padding bytes as it takes.
            int padding = (int)((_alignment - (dataStart + 4) % _alignment) % _alignment);
            extraLength = 4 + padding;
        }

        Span<byte> header = stackalloc byte[30];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], VersionNeeded);
        // Flags, method (0 = stored), time and date stay zero: PyTorch writes no timestamps either.
        BinaryPrimitives.WriteUInt32LittleEndian(header[14..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(header[18..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[22..], (uint)data.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(header[26..], (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(header[28..], (ushort)extraLength);
        _output.Write(header);
        _output.Write(nameBytes);
        if (extraLength > 0)
        {
            Span<byte> extra = new byte[extraLength];
            BinaryPrimitives.WriteUInt16LittleEndian(extra, PaddingFieldId);
            BinaryPrimitives.WriteUInt16LittleEndian(extra[2..], (ushort)(extraLength - 4));
            _output.Write(extra);
        }
        _output.Write(data);
        _entries.Add((nameBytes, crc, CheckedOffset(data.Length), offset));
    }

    /// <summary>Writes the central directory and its end record; call once, after the last entry.</summary>
    public void Finish()
    {
        if (_entries.Count > ushort.MaxValue)
            throw new NotSupportedException($"Expected at most {ushort.MaxValue} zip entries without zip64; found {_entries.Count}.");
        uint directoryStart = CheckedOffset(_output.Position);
        Span<byte> record = stackalloc byte[46];
        foreach (var entry in _entries)
        {
            record.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(record, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(record[4..], VersionNeeded);
            BinaryPrimitives.WriteUInt16LittleEndian(record[6..], VersionNeeded);
            BinaryPrimitives.WriteUInt32LittleEndian(record[16..], entry.Crc);
            BinaryPrimitives.WriteUInt32LittleEndian(record[20..], entry.Size);
            BinaryPrimitives.WriteUInt32LittleEndian(record[24..], entry.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(record[28..], (ushort)entry.Name.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[42..], entry.Offset);
            _output.Write(record);
            _output.Write(entry.Name);
        }
        uint directorySize = CheckedOffset(_output.Position - directoryStart);

        Span<byte> end = stackalloc byte[22];
        end.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end[8..], (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end[10..], (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end[12..], directorySize);
        BinaryPrimitives.WriteUInt32LittleEndian(end[16..], directoryStart);
        _output.Write(end);
    }

    private static uint CheckedOffset(long value) =>
        value <= uint.MaxValue ? (uint)value : throw new NotSupportedException($"Expected a zip under 4 GiB (no zip64); reached {value} bytes.");
}
