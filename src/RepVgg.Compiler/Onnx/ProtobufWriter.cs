using System.Text;

namespace RepVgg.Compiler.Onnx;

/// <summary>
/// The protobuf wire format, as much of it as an ONNX model needs: varint fields (int32, int64,
/// enums) and length-delimited fields (strings, bytes, nested messages). Fields are
/// written in the order they are called; protobuf readers accept any order.
/// </summary>
/// <remarks>
/// A nested message must know its length before its contents, so small messages (nodes, value
/// infos, tensor headers) are built in memory and copied into their parent with
/// <see cref="Message"/>. Large payloads (a weight tensor's raw_data, the graph holding them all)
/// are not: <see cref="LengthPrefix"/> writes a field's header from a precomputed length and the
/// caller streams the contents after it, so a 200 MB model never sits in memory twice.
/// </remarks>
internal sealed class ProtobufWriter
{
    private const int VarintWireType = 0, LengthDelimitedWireType = 2;

    private readonly Stream _output;

    /// <summary>A writer that builds a message in memory, to be nested with <see cref="Message"/>.</summary>
    public ProtobufWriter() : this(new MemoryStream()) { }

    /// <summary>A writer appending to <paramref name="output"/>.</summary>
    public ProtobufWriter(Stream output) => _output = output;

    /// <summary>Bytes written so far.</summary>
    public long Length => _output is MemoryStream memory ? memory.Length : throw new InvalidOperationException("Only an in-memory message knows its length.");

    /// <summary>An int32, int64 or enum field (a negative value takes ten bytes, as protobuf specifies).</summary>
    public ProtobufWriter Int64(int field, long value)
    {
        Tag(field, VarintWireType);
        Varint((ulong)value);
        return this;
    }

    /// <summary>A string field, UTF-8.</summary>
    public ProtobufWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A bytes field.</summary>
    public ProtobufWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        LengthPrefix(field, value.Length);
        _output.Write(value);
        return this;
    }

    /// <summary>A nested message built by an in-memory writer.</summary>
    public ProtobufWriter Message(int field, ProtobufWriter message)
    {
        var contents = (MemoryStream)message._output;
        LengthPrefix(field, contents.Length);
        contents.WriteTo(_output);
        return this;
    }

    /// <summary>
    /// The header of a length-delimited field whose <paramref name="length"/> bytes the caller
    /// writes next, with <see cref="Raw"/> or further fields of the nested message.
    /// </summary>
    public ProtobufWriter LengthPrefix(int field, long length)
    {
        Tag(field, LengthDelimitedWireType);
        Varint((ulong)length);
        return this;
    }

    /// <summary>The fields of an in-memory message, appended with no header: part of a message opened by <see cref="LengthPrefix"/>.</summary>
    public ProtobufWriter Append(ProtobufWriter fields)
    {
        ((MemoryStream)fields._output).WriteTo(_output);
        return this;
    }

    /// <summary>Bytes with no header: the contents of a field opened by <see cref="LengthPrefix"/>.</summary>
    public ProtobufWriter Raw(ReadOnlySpan<byte> bytes)
    {
        _output.Write(bytes);
        return this;
    }

    /// <summary>The bytes <see cref="LengthPrefix"/> writes for <paramref name="field"/> and <paramref name="length"/>.</summary>
    public static long LengthPrefixSize(int field, long length) => VarintSize((ulong)field << 3) + VarintSize((ulong)length);

    /// <summary>The bytes of a varint holding <paramref name="value"/>: 7 bits each.</summary>
    public static int VarintSize(ulong value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    private void Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    private void Varint(ulong value)
    {
        Span<byte> bytes = stackalloc byte[10];
        int length = 0;
        while (value >= 0x80)
        {
            bytes[length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        bytes[length++] = (byte)value;
        _output.Write(bytes[..length]);
    }
}
