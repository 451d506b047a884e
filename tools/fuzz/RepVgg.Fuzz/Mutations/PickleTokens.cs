using System.Buffers.Binary;

namespace RepVgg.Fuzz.Mutations;

/// <summary>One opcode of a pickle with its argument bytes: <c>Bytes[0]</c> is the opcode.</summary>
internal sealed record PickleToken(byte[] Bytes)
{
    public byte Opcode => Bytes[0];
}

/// <summary>
/// Splits a pickle into opcodes by the argument lengths of pickletools' table, without interpreting it,
/// so a mutation can edit, move or re-encode one opcode and leave the rest well formed. Written here
/// rather than borrowed from the reader, so a reader bug cannot hide itself from the fuzzer.
/// </summary>
internal static class PickleTokens
{
    /// <summary>
    /// The tokens of the first <paramref name="pickles"/> pickles (STOP ends each), and whatever follows
    /// them (the storages of a legacy file, or an opcode this table does not know, and all after it).
    /// </summary>
    public static (List<PickleToken> Tokens, byte[] Tail) Split(byte[] data, int pickles = 1)
    {
        var tokens = new List<PickleToken>();
        int position = 0, stops = 0;
        while (position < data.Length && stops < pickles)
        {
            int length = TokenLength(data, position);
            if (length <= 0 || length > data.Length - position)
                break;
            tokens.Add(new PickleToken(data[position..(position + length)]));
            if (data[position] == (byte)'.')
                stops++;
            position += length;
        }
        return (tokens, data[position..]);
    }

    public static byte[] Join(IEnumerable<PickleToken> tokens, byte[] tail)
    {
        var output = new MemoryStream();
        foreach (PickleToken token in tokens)
            output.Write(token.Bytes);
        output.Write(tail);
        return output.ToArray();
    }

    /// <summary>Whether the token pushes an integer (BININT, BININT1, BININT2, LONG1, LONG4).</summary>
    public static bool IsInteger(byte opcode) => opcode is (byte)'J' or (byte)'K' or (byte)'M' or 0x8a or 0x8b;

    /// <summary>Whether the token pushes text or bytes with a length prefix.</summary>
    public static bool IsString(byte opcode) => LengthPrefix(opcode) > 0;

    /// <summary>Bytes of the length prefix of a counted string or bytes opcode, or 0.</summary>
    public static int LengthPrefix(byte opcode) => opcode switch
    {
        0x8c or (byte)'U' or (byte)'C' => 1, // SHORT_BINUNICODE, SHORT_BINSTRING, SHORT_BINBYTES
        (byte)'T' or (byte)'X' or (byte)'B' => 4, // BINSTRING, BINUNICODE, BINBYTES
        0x8d or 0x8e or 0x96 => 8, // BINUNICODE8, BINBYTES8, BYTEARRAY8
        _ => 0,
    };

    /// <summary>The length of the opcode at <paramref name="at"/> with its arguments, or 0 when it is unknown or cut off.</summary>
    private static int TokenLength(byte[] data, int at)
    {
        byte opcode = data[at];
        int remaining = data.Length - at - 1;
        int prefix = LengthPrefix(opcode);
        if (prefix > 0 || opcode is 0x8a or 0x8b)
        {
            int width = opcode switch { 0x8a => 1, 0x8b => 4, _ => prefix };
            if (remaining < width)
                return 0;
            ulong count = width switch
            {
                1 => data[at + 1],
                4 => BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at + 1)),
                _ => BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(at + 1)),
            };
            return count <= (ulong)(remaining - width) ? 1 + width + (int)count : 0;
        }
        if (opcode is (byte)'c' or (byte)'i') // GLOBAL, INST: two newline-terminated lines
        {
            int first = Array.IndexOf(data, (byte)'\n', at + 1);
            int second = first < 0 ? -1 : Array.IndexOf(data, (byte)'\n', first + 1);
            return second < 0 ? 0 : second - at + 1;
        }
        int fixedLength = opcode switch
        {
            0x80 or (byte)'K' or (byte)'q' or (byte)'h' or 0x82 => 1, // PROTO, BININT1, BINPUT, BINGET, EXT1
            (byte)'M' or 0x83 => 2, // BININT2, EXT2
            (byte)'J' or (byte)'r' or (byte)'j' or 0x84 => 4, // BININT, LONG_BINPUT, LONG_BINGET, EXT4
            (byte)'G' or 0x95 => 8, // BINFLOAT, FRAME
            (byte)'(' or (byte)'.' or (byte)'0' or (byte)'1' or (byte)'2' or (byte)'N' or (byte)'Q' or (byte)'R'
                or (byte)']' or (byte)'a' or (byte)'b' or (byte)'d' or (byte)'}' or (byte)'e' or (byte)'l'
                or (byte)'s' or (byte)'t' or (byte)')' or (byte)'u' or (byte)'o'
                or 0x81 or 0x85 or 0x86 or 0x87 or 0x88 or 0x89 or 0x8f or 0x90 or 0x91 or 0x92 or 0x93 or 0x94 => 0,
            _ => -1,
        };
        return fixedLength < 0 || fixedLength > remaining ? 0 : 1 + fixedLength;
    }
}
