using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace RepVgg.Fuzz.Mutations;

/// <summary>
/// Edits a pickle opcode by opcode (<see cref="PickleTokens"/>), so the result stays mostly well formed
/// and reaches the unpickler's interpretation of values rather than stopping at the first bad byte.
/// </summary>
internal static class PickleMutations
{
    /// <summary>Applies one to three opcode edits to the first <paramref name="pickles"/> pickles of <paramref name="data"/>.</summary>
    public static byte[] Mutate(byte[] data, MutationContext context, int pickles = 1)
    {
        var (tokens, tail) = PickleTokens.Split(data, pickles);
        if (tokens.Count == 0)
            return data;
        int edits = 1 + context.Random.Next(3);
        for (int i = 0; i < edits; i++)
            Edit(tokens, context);
        return PickleTokens.Join(tokens, tail);
    }

    private static void Edit(List<PickleToken> tokens, MutationContext context)
    {
        Random random = context.Random;
        int at = random.Next(tokens.Count);
        switch (random.Next(10))
        {
            case 0 or 1:
                if (FindIndex(tokens, random, t => PickleTokens.IsInteger(t.Opcode)) is int integer)
                {
                    BigInteger value = context.InterestingInteger();
                    tokens[integer] = new PickleToken(EncodeInteger(value, random, out string form));
                    context.Note($"pickle: integer at token {integer} -> {value} as {form}");
                }
                break;
            case 2:
                if (FindIndex(tokens, random, t => PickleTokens.IsString(t.Opcode)) is int text)
                    tokens[text] = ReplaceString(tokens[text], text, context);
                break;
            case 3:
                if (FindIndex(tokens, random, t => t.Opcode == (byte)'G') is int real)
                {
                    double value = context.Pick(SpecialDoubles);
                    var bytes = new byte[9];
                    bytes[0] = (byte)'G';
                    BinaryPrimitives.WriteDoubleBigEndian(bytes.AsSpan(1), value);
                    tokens[real] = new PickleToken(bytes);
                    context.Note($"pickle: float at token {real} -> {value}");
                }
                break;
            case 4:
                // Many copies of one opcode: a MARK or DUP repeated thousands of times grows the stack.
                int copies = context.Pick(new[] { 1, 1, 2, 3, 16, 1000 });
                tokens.InsertRange(at, Enumerable.Repeat(tokens[at], copies));
                context.Note($"pickle: token {at} (0x{tokens[at].Opcode:x2}) duplicated {copies} times");
                break;
            case 5:
                context.Note($"pickle: token {at} (0x{tokens[at].Opcode:x2}) deleted");
                tokens.RemoveAt(at);
                break;
            case 6:
                int other = random.Next(tokens.Count);
                (tokens[at], tokens[other]) = (tokens[other], tokens[at]);
                context.Note($"pickle: tokens {at} and {other} swapped");
                break;
            case 7:
                // An opcode of the same argument shape, so the stream stays aligned: BININT1 becomes BINPUT, TUPLE becomes DICT.
                byte[] group = context.Pick(SameShape.Where(g => g.Contains(tokens[at].Opcode)).DefaultIfEmpty(ZeroArgument).ToList());
                byte opcode = context.Pick(group);
                byte[] changed = group == ZeroArgument && !ZeroArgument.Contains(tokens[at].Opcode) ? [opcode] : tokens[at].Bytes.ToArray();
                changed[0] = opcode;
                context.Note($"pickle: token {at} (0x{tokens[at].Opcode:x2}) became opcode 0x{opcode:x2}");
                tokens[at] = new PickleToken(changed);
                break;
            case 8:
                if (FindIndex(tokens, random, t => t.Opcode == (byte)'c') is int global)
                {
                    var (module, name) = context.Pick(Globals);
                    tokens[global] = new PickleToken(Encoding.ASCII.GetBytes($"c{module}\n{name}\n"));
                    context.Note($"pickle: global at token {global} -> {module}.{name}");
                }
                break;
            default:
                int moved = random.Next(tokens.Count);
                tokens.Insert(at, tokens[moved]);
                context.Note($"pickle: token {moved} (0x{tokens[at].Opcode:x2}) copied to {at}");
                break;
        }
    }

    /// <summary>A random token that matches, or null when none does.</summary>
    private static int? FindIndex(List<PickleToken> tokens, Random random, Func<PickleToken, bool> match)
    {
        var indices = Enumerable.Range(0, tokens.Count).Where(i => match(tokens[i])).ToList();
        return indices.Count == 0 ? null : indices[random.Next(indices.Count)];
    }

    /// <summary>The integer as CPython writes it, or forced into LONG1 or LONG4, possibly with redundant sign bytes.</summary>
    public static byte[] EncodeInteger(BigInteger value, Random random, out string form)
    {
        int choice = random.Next(4);
        if (choice == 0 && value >= 0 && value <= 255) { form = "BININT1"; return [(byte)'K', (byte)value]; }
        if (choice == 0 && value >= 0 && value <= 65535) { form = "BININT2"; return [(byte)'M', (byte)((int)value & 0xff), (byte)((int)value >> 8)]; }
        if (choice == 0 && value >= int.MinValue && value <= int.MaxValue)
        {
            form = "BININT";
            var bytes = new byte[5];
            bytes[0] = (byte)'J';
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), (int)value);
            return bytes;
        }
        // CPython writes 0 as LONG1 with no bytes; other values in the fewest two's-complement bytes.
        byte[] magnitude = value.IsZero ? [] : value.ToByteArray(isUnsigned: false, isBigEndian: false);
        if (choice == 3)
            magnitude = [.. magnitude, .. Enumerable.Repeat(value.Sign < 0 ? (byte)0xff : (byte)0, 1 + random.Next(8))];
        if (choice == 2 || magnitude.Length > 255)
        {
            form = "LONG4";
            var bytes = new byte[5 + magnitude.Length];
            bytes[0] = 0x8b;
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), magnitude.Length);
            magnitude.CopyTo(bytes, 5);
            return bytes;
        }
        form = "LONG1";
        return [0x8a, (byte)magnitude.Length, .. magnitude];
    }

    private static PickleToken ReplaceString(PickleToken token, int index, MutationContext context)
    {
        int prefix = PickleTokens.LengthPrefix(token.Opcode);
        byte[] content = context.Random.Next(8) switch
        {
            0 => [],
            1 => Encoding.UTF8.GetBytes("stage0\u0001\n\u001b[31m.rbr_dense\r\u0000conv.weight"),
            2 => Encoding.UTF8.GetBytes(new string('A', context.Pick(new[] { 300, 70_000 }))),
            3 => [0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80],
            4 => Encoding.UTF8.GetBytes(context.Pick(Names)),
            5 => context.RandomBytes(context.Random.Next(1, 16)),
            6 => Encoding.UTF8.GetBytes("module." + Encoding.UTF8.GetString(token.Bytes.AsSpan(1 + prefix))),
            _ => [.. token.Bytes.AsSpan(1 + prefix), .. token.Bytes.AsSpan(1 + prefix)],
        };
        // A length that no longer fits the short form moves to the 4-byte form, as CPython would.
        byte opcode = prefix == 1 && content.Length > 255 ? token.Opcode switch { 0x8c => (byte)'X', (byte)'C' => (byte)'B', _ => (byte)'T' } : token.Opcode;
        int width = PickleTokens.LengthPrefix(opcode);
        var bytes = new byte[1 + width + content.Length];
        bytes[0] = opcode;
        if (width == 1) bytes[1] = (byte)content.Length;
        else if (width == 4) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), content.Length);
        else BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(1), content.Length);
        content.CopyTo(bytes, 1 + width);
        context.Note($"pickle: string at token {index} -> {content.Length} bytes '{Printable(content)}'");
        return new PickleToken(bytes);
    }

    private static string Printable(byte[] content) =>
        string.Concat(Encoding.UTF8.GetString(content.AsSpan(0, Math.Min(content.Length, 60))).Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    private static readonly double[] SpecialDoubles =
        [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e308, -1e308, 3.5e38, double.Epsilon, -0.0, 1e-320];

    private static readonly string[] Names =
    [
        "state_dict", "model", "state_dict_ema", "model_ema", "module.stage0.rbr_dense.conv.weight", "stage0.rbr_dense.conv.weight",
        "linear.weight", "head.fc.weight", "stage1.2147483647.rbr_dense.conv.weight", "stage99.0.rbr_dense.conv.weight", "storage", "cpu", "0", "1",
        "../../../etc/passwd", "stages.-1.0.conv_kxk.conv.weight",
    ];

    private static readonly (string Module, string Name)[] Globals =
    [
        ("collections", "OrderedDict"), ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_parameter"),
        ("torch", "FloatStorage"), ("torch", "HalfStorage"), ("torch", "BFloat16Storage"), ("torch", "DoubleStorage"),
        ("torch", "LongStorage"), ("torch", "ByteStorage"), ("torch", "BoolStorage"), ("torch", "Tensor"),
        ("torch._utils", "_rebuild_tensor"), ("os", "system"), ("builtins", "eval"), ("collections", "defaultdict"),
        ("torch.nn.modules.conv", "Conv2d"), ("argparse", "Namespace"), ("", ""), ("torch", "storage\nextra"),
    ];

    private static readonly byte[] ZeroArgument =
        "()0N.12Q]abd}elstuRo"u8.ToArray().Concat(new byte[] { 0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94 }).ToArray();

    private static readonly byte[][] SameShape =
    [
        ZeroArgument,
        [(byte)'K', (byte)'q', (byte)'h', 0x80, 0x82], // one byte: BININT1, BINPUT, BINGET, PROTO, EXT1
        [(byte)'J', (byte)'r', (byte)'j', 0x84], // four bytes: BININT, LONG_BINPUT, LONG_BINGET, EXT4
        [(byte)'M', 0x83], // two bytes: BININT2, EXT2
        [0x8c, (byte)'U', (byte)'C'], // one-byte length: SHORT_BINUNICODE, SHORT_BINSTRING, SHORT_BINBYTES
        [(byte)'X', (byte)'T', (byte)'B'], // four-byte length
        [0x8d, 0x8e, 0x96], // eight-byte length
    ];
}
