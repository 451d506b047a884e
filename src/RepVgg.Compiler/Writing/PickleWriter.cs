using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using RepVgg.Checkpoints;

namespace RepVgg.Compiler.Writing;

/// <summary>
/// Writes a pickle opcode by opcode, the way CPython's pickler does at protocol 2 (the one torch.save
/// uses), with the protocol 4 STACK_GLOBAL form on request. <see cref="PthWriter"/> builds its
/// <c>data.pkl</c> with it; tests use it to write pickles no honest writer would, such as one that
/// calls <c>os.system</c> or a tensor that is a strided view of a shared storage.
/// </summary>
/// <example>
/// <code>
/// byte[] hostile = new PickleWriter().Proto().Global("os", "system").Mark().Value("echo hi").Tuple().Reduce().Stop().ToArray();
/// </code>
/// </example>
public sealed class PickleWriter
{
    private readonly MemoryStream _buffer = new();
    // Python memoizes every object and refers back with BINGET; doing it for globals keeps the output
    // close to torch.save's while keeping this writer simple.
    private readonly Dictionary<string, int> _memoizedGlobals = new(StringComparer.Ordinal);
    private int _memoCount;

    /// <summary>PROTO: the protocol version, first in every pickle since protocol 2.</summary>
    public PickleWriter Proto(byte protocol = 2) => Op(PickleOpcode.Proto).Byte(protocol);

    /// <summary>GLOBAL <c>module name</c>, or a BINGET of the same global written earlier.</summary>
    public PickleWriter Global(string module, string name)
    {
        string line = module + "\n" + name + "\n";
        if (_memoizedGlobals.TryGetValue(line, out int memo))
            return Get(memo);
        Op(PickleOpcode.Global).Bytes(Encoding.ASCII.GetBytes(line));
        _memoizedGlobals[line] = _memoCount;
        return Put();
    }

    /// <summary>SHORT_BINUNICODE module, SHORT_BINUNICODE name, STACK_GLOBAL: how protocol 4 and later name a global.</summary>
    public PickleWriter StackGlobal(string module, string name) =>
        ShortString(module).ShortString(name).Op(PickleOpcode.StackGlobal);

    /// <summary>
    /// LONG1 (or LONG4 when <paramref name="fourByteLength"/>) holding <paramref name="number"/> in
    /// <paramref name="byteCount"/> little-endian two's-complement bytes: the spellings Python's pickler
    /// uses for large ints, here for any int (0 may be zero bytes long), as other picklers may write them.
    /// </summary>
    public PickleWriter Long(BigInteger number, int byteCount, bool fourByteLength = false)
    {
        var bytes = new byte[byteCount];
        int written = 0;
        if (!number.IsZero && !number.TryWriteBytes(bytes, out written, isUnsigned: false, isBigEndian: false))
            throw new ArgumentException($"{number} needs more than {byteCount} bytes.", nameof(byteCount));
        if (number.Sign < 0)
            bytes.AsSpan(written).Fill(0xFF);
        Op(fourByteLength ? PickleOpcode.Long4 : PickleOpcode.Long1);
        return (fourByteLength ? Little32((uint)byteCount) : Byte(checked((byte)byteCount))).Bytes(bytes);
    }

    /// <summary>INST <c>module name</c>: protocol 0's "call this class with the values since MARK".</summary>
    public PickleWriter Inst(string module, string name) =>
        Op(PickleOpcode.Inst).Bytes(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));

    /// <summary>MARK: opens a group that <see cref="Tuple"/>, <see cref="SetItems"/> or <see cref="Appends"/> closes.</summary>
    public PickleWriter Mark() => Op(PickleOpcode.Mark);

    /// <summary>TUPLE: the values since the last MARK become a tuple.</summary>
    public PickleWriter Tuple() => Op(PickleOpcode.Tuple);

    /// <summary>EMPTY_TUPLE.</summary>
    public PickleWriter EmptyTuple() => Op(PickleOpcode.EmptyTuple);

    /// <summary>EMPTY_DICT.</summary>
    public PickleWriter EmptyDict() => Op(PickleOpcode.EmptyDict);

    /// <summary>EMPTY_LIST.</summary>
    public PickleWriter EmptyList() => Op(PickleOpcode.EmptyList);

    /// <summary>SETITEMS: key and value pairs since the last MARK go into the dict below them.</summary>
    public PickleWriter SetItems() => Op(PickleOpcode.SetItems);

    /// <summary>SETITEM: the key and value on top go into the dict below them.</summary>
    public PickleWriter SetItem() => Op(PickleOpcode.SetItem);

    /// <summary>APPENDS: values since the last MARK go into the list below them.</summary>
    public PickleWriter Appends() => Op(PickleOpcode.Appends);

    /// <summary>REDUCE: calls the callable below the argument tuple on top.</summary>
    public PickleWriter Reduce() => Op(PickleOpcode.Reduce);

    /// <summary>NEWOBJ: <c>cls.__new__(cls, *args)</c> from a class and an argument tuple, as pickle writes objects at protocol 2.</summary>
    public PickleWriter NewObj() => Op(PickleOpcode.NewObj);

    /// <summary>BUILD: sets the state on top onto the object below it.</summary>
    public PickleWriter Build() => Op(PickleOpcode.Build);

    /// <summary>BINPERSID: the value on top is a persistent id, which torch.save uses for storages.</summary>
    public PickleWriter PersistentId() => Op(PickleOpcode.BinPersId);

    /// <summary>STOP: the value on top is the result.</summary>
    public PickleWriter Stop() => Op(PickleOpcode.Stop);

    /// <summary><c>collections.OrderedDict()</c>, the type of every state dict.</summary>
    public PickleWriter EmptyOrderedDict() => Global("collections", "OrderedDict").EmptyTuple().Reduce();

    /// <summary>
    /// A Python <c>None</c>, <c>bool</c>, <c>int</c> (<see cref="int"/>, <see cref="long"/>, <see cref="BigInteger"/>),
    /// <c>float</c> (<see cref="double"/>, <see cref="float"/>) or <c>str</c>, in the opcodes CPython picks for each.
    /// </summary>
    /// <exception cref="ArgumentException">Any other type.</exception>
    public PickleWriter Value(object? value) => value switch
    {
        null => Op(PickleOpcode.None),
        bool flag => Op(flag ? PickleOpcode.NewTrue : PickleOpcode.NewFalse),
        int number => Integer(number),
        long number => Integer(number),
        BigInteger number => Integer(number),
        float number => Float(number),
        double number => Float(number),
        string text => String(text),
        _ => throw new ArgumentException($"Expected None, bool, int, long, BigInteger, float, double or string; found {value.GetType().Name}.", nameof(value)),
    };

    /// <summary>
    /// A tensor exactly as torch.save writes it:
    /// <c>torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, False, OrderedDict())</c>,
    /// where storage is the persistent id <c>('storage', torch.&lt;Type&gt;Storage, key, 'cpu', storage size)</c>.
    /// Offset, strides and storage size count elements, not bytes.
    /// </summary>
    public PickleWriter TensorRebuild(string storageKey, TensorDType dtype, long storageElementCount,
        long storageOffset, IReadOnlyList<int> shape, IReadOnlyList<long> strides)
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().Value("storage").Global("torch", AllowedGlobals.StorageTypeName(dtype)).Value(storageKey).Value("cpu")
            .Value(storageElementCount).Tuple().PersistentId();
        Value(storageOffset);
        IntegerTuple(shape.Select(size => (long)size).ToArray());
        IntegerTuple(strides);
        Value(false).EmptyOrderedDict();
        return Tuple().Reduce();
    }

    /// <summary>The pickle so far.</summary>
    public byte[] ToArray() => _buffer.ToArray();

    /// <summary>A tuple of integers, with the short forms CPython uses for up to three items.</summary>
    private void IntegerTuple(IReadOnlyList<long> items)
    {
        if (items.Count == 0)
        {
            EmptyTuple();
            return;
        }
        if (items.Count > 3)
            Mark();
        foreach (long item in items)
            Value(item);
        Op(items.Count switch { 1 => PickleOpcode.Tuple1, 2 => PickleOpcode.Tuple2, 3 => PickleOpcode.Tuple3, _ => PickleOpcode.Tuple });
    }

    private PickleWriter Integer(BigInteger number)
    {
        if (number >= 0 && number <= byte.MaxValue)
            return Op(PickleOpcode.BinInt1).Byte((byte)number);
        if (number >= 0 && number <= ushort.MaxValue)
            return Op(PickleOpcode.BinInt2).Little16((ushort)number);
        if (number >= int.MinValue && number <= int.MaxValue)
            return Op(PickleOpcode.BinInt).Little32((uint)(int)number);
        byte[] bytes = number.ToByteArray(isUnsigned: false, isBigEndian: false);
        return Op(PickleOpcode.Long1).Byte(checked((byte)bytes.Length)).Bytes(bytes);
    }

    private PickleWriter Float(double number)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(bytes, number);
        return Op(PickleOpcode.BinFloat).Bytes(bytes);
    }

    private PickleWriter String(string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        return Op(PickleOpcode.BinUnicode).Little32((uint)utf8.Length).Bytes(utf8);
    }

    private PickleWriter ShortString(string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        return Op(PickleOpcode.ShortBinUnicode).Byte(checked((byte)utf8.Length)).Bytes(utf8);
    }

    private PickleWriter Put()
    {
        int memo = _memoCount++;
        return memo <= byte.MaxValue ? Op(PickleOpcode.BinPut).Byte((byte)memo) : Op(PickleOpcode.LongBinPut).Little32((uint)memo);
    }

    private PickleWriter Get(int memo) =>
        memo <= byte.MaxValue ? Op(PickleOpcode.BinGet).Byte((byte)memo) : Op(PickleOpcode.LongBinGet).Little32((uint)memo);

    private PickleWriter Op(PickleOpcode opcode) => Byte((byte)opcode);

    private PickleWriter Byte(byte value)
    {
        _buffer.WriteByte(value);
        return this;
    }

    private PickleWriter Little16(ushort value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return Bytes(bytes);
    }

    private PickleWriter Little32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return Bytes(bytes);
    }

    private PickleWriter Bytes(ReadOnlySpan<byte> bytes)
    {
        _buffer.Write(bytes);
        return this;
    }
}
