using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace RepVgg.Checkpoints;

/// <summary>
/// A pickle virtual machine that understands exactly what a state dict needs and nothing more.
/// It never calls anything: the allowed globals are tokens it interprets itself
/// (<c>OrderedDict()</c> becomes a <see cref="PickleDict"/>, <c>_rebuild_tensor_v2(...)</c> a
/// <see cref="TensorReference"/>, a storage persistent id a <see cref="StorageReference"/>), and any
/// other global stops the read at the opcode that names it, before anything could use it.
/// </summary>
/// <remarks>
/// Python values map to: <c>None</c> null, <c>bool</c> bool, <c>int</c> long (or BigInteger beyond
/// 64 bits), <c>float</c> double, <c>str</c> string, <c>bytes</c> byte[], <c>tuple</c> object?[],
/// <c>list</c> List&lt;object?&gt;, <c>dict</c> PickleDict. Memory stays linear in the pickle's size:
/// every opcode adds at most one value, and lengths are checked against the bytes that remain.
/// </remarks>
internal sealed class RestrictedUnpickler
{
    private readonly byte[] _pickle;
    private readonly string _file;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private int _position;

    private RestrictedUnpickler(byte[] pickle, string file)
    {
        _pickle = pickle;
        _file = file;
    }

    /// <summary>Runs the pickle to its STOP opcode and returns the value it built.</summary>
    /// <exception cref="CheckpointException">
    /// <see cref="CheckpointProblem.ForbiddenGlobal"/> for a global off the allow-list;
    /// <see cref="CheckpointProblem.Unreadable"/> for a truncated, corrupt or unsupported pickle.
    /// </exception>
    public static object? Load(byte[] pickle, string file) => new RestrictedUnpickler(pickle, file).Run();

    private object? Run()
    {
        while (true)
        {
            int opcodeAt = _position;
            var opcode = (PickleOpcode)ReadByte();
            switch (opcode)
            {
                case PickleOpcode.Proto:
                    byte protocol = ReadByte();
                    if (protocol is < 2 or > 5)
                        throw Corrupt($"declares pickle protocol {protocol}; expected 2 to 5, which torch.save writes");
                    break;
                case PickleOpcode.Frame:
                    // Frames only tell a streaming reader how much to prefetch; the whole pickle is in memory.
                    ReadBytes(8);
                    break;
                case PickleOpcode.Stop:
                    return Pop();

                case PickleOpcode.Mark: _marks.Push(_stack.Count); break;
                case PickleOpcode.Pop: Pop(); break;
                case PickleOpcode.PopMark: PopMark(); break;
                case PickleOpcode.Dup: Push(Peek()); break;

                case PickleOpcode.None: Push(null); break;
                case PickleOpcode.NewTrue: Push(true); break;
                case PickleOpcode.NewFalse: Push(false); break;
                case PickleOpcode.BinInt: Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break;
                case PickleOpcode.BinInt1: Push((long)ReadByte()); break;
                case PickleOpcode.BinInt2: Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break;
                case PickleOpcode.Long1: Push(ReadLong(ReadByte())); break;
                case PickleOpcode.Long4: Push(ReadLong(ReadLength(4))); break;
                case PickleOpcode.BinFloat: Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break;
                case PickleOpcode.ShortBinUnicode: Push(ReadString(ReadByte())); break;
                case PickleOpcode.BinUnicode: Push(ReadString(ReadLength(4))); break;
                case PickleOpcode.BinUnicode8: Push(ReadString(ReadLength(8))); break;
                case PickleOpcode.ShortBinBytes: Push(ReadBytes(ReadByte()).ToArray()); break;
                case PickleOpcode.BinBytes: Push(ReadBytes(ReadLength(4)).ToArray()); break;
                case PickleOpcode.BinBytes8: Push(ReadBytes(ReadLength(8)).ToArray()); break;

                case PickleOpcode.EmptyTuple: Push(Array.Empty<object?>()); break;
                case PickleOpcode.Tuple1: Push(PopMany(1)); break;
                case PickleOpcode.Tuple2: Push(PopMany(2)); break;
                case PickleOpcode.Tuple3: Push(PopMany(3)); break;
                case PickleOpcode.Tuple: Push(PopMark()); break;
                case PickleOpcode.EmptyList: Push(new List<object?>()); break;
                case PickleOpcode.List: Push(new List<object?>(PopMark())); break;
                case PickleOpcode.Append: Append(opcodeAt, [Pop()]); break;
                case PickleOpcode.Appends: Append(opcodeAt, PopMark()); break;
                case PickleOpcode.EmptyDict: Push(new PickleDict()); break;
                case PickleOpcode.Dict: Push(SetItems(new PickleDict(), PopMark(), opcodeAt)); break;
                case PickleOpcode.SetItem: SetItems(PeekDict(opcodeAt, 2), PopMany(2), opcodeAt); break;
                case PickleOpcode.SetItems:
                    object?[] items = PopMark();
                    SetItems(PeekDict(opcodeAt, 0), items, opcodeAt);
                    break;

                case PickleOpcode.BinPut: _memo[ReadByte()] = Peek(); break;
                case PickleOpcode.LongBinPut: _memo[ReadLength(4)] = Peek(); break;
                case PickleOpcode.Memoize: _memo[_memo.Count] = Peek(); break;
                case PickleOpcode.BinGet: Push(MemoGet(ReadByte())); break;
                case PickleOpcode.LongBinGet: Push(MemoGet(ReadLength(4))); break;

                case PickleOpcode.Global:
                    string module = ReadLine();
                    Push(AllowedGlobals.Resolve(module, ReadLine(), _file));
                    break;
                case PickleOpcode.StackGlobal:
                    object? name = Pop(), moduleName = Pop();
                    if (moduleName is not string m || name is not string n)
                        throw Corrupt($"has a STACK_GLOBAL at byte {opcodeAt} whose module and name are not strings");
                    Push(AllowedGlobals.Resolve(m, n, _file));
                    break;
                case PickleOpcode.Reduce:
                    object? arguments = Pop();
                    Push(Call(Pop(), arguments, opcodeAt));
                    break;
                case PickleOpcode.Build:
                    Pop();
                    // The only object torch.save builds is a state dict's OrderedDict, whose state is the
                    // `_metadata` attribute (module versions); the tensors do not depend on it.
                    if (Peek() is not PickleDict)
                        throw Corrupt($"sets the state of a {Describe(Peek())} with BUILD at byte {opcodeAt}; expected only the OrderedDict of a state_dict");
                    break;
                case PickleOpcode.BinPersId:
                    Push(ToStorage(Pop(), opcodeAt));
                    break;

                default:
                    throw Corrupt($"uses pickle opcode 0x{(byte)opcode:x2} at byte {opcodeAt}; expected only the opcodes torch.save writes for a state_dict");
            }
        }
    }

    /// <summary>Interprets a call to an allowed global; nothing is ever invoked.</summary>
    private object Call(object? callable, object? arguments, int at)
    {
        if (callable is not PickleGlobal global || arguments is not object?[] args)
            throw Corrupt($"calls a {Describe(callable)} with {Describe(arguments)} arguments at byte {at}; expected an allowed global called with a tuple");
        switch (global.FullName)
        {
            case AllowedGlobals.OrderedDict when args.Length == 0:
                return new PickleDict();
            case AllowedGlobals.RebuildTensor when args.Length is 6 or 7 && args[0] is StorageReference storage:
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]);
                // the last ones matter only for autograd.
                return new TensorReference(storage,
                    ToCount(args[1], "storage offset", at),
                    ToCounts(args[2], "size", at).Select(size => size <= int.MaxValue ? (int)size : throw Corrupt($"has a tensor dimension of {size} at byte {at}; expected at most {int.MaxValue}")).ToArray(),
                    ToCounts(args[3], "stride", at));
            case AllowedGlobals.RebuildParameter when args.Length == 3 && args[0] is TensorReference data:
                return data;
            default:
                throw Corrupt($"calls {global.FullName} with {args.Length} arguments ({string.Join(", ", args.Select(Describe))}) at byte {at}; " +
                    "expected OrderedDict(), _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks) or _rebuild_parameter(tensor, requires_grad, hooks)");
        }
    }

    /// <summary>Reads a persistent id <c>('storage', storage class, key, location, element count)</c>.</summary>
    private StorageReference ToStorage(object? persistentId, int at)
    {
        if (persistentId is object?[] { Length: 5 } id && id[0] is "storage" && id[1] is PickleGlobal storageType
            && AllowedGlobals.StorageDType(storageType) is TensorDType dtype && id[2] is string key && id[3] is string)
            return new StorageReference(key, dtype, storageType.FullName, ToCount(id[4], "storage size", at));
        throw Corrupt($"has a persistent id {Describe(persistentId)} at byte {at}; expected ('storage', torch.<Type>Storage, key, location, size) as torch.save writes");
    }

    private long ToCount(object? value, string what, int at) =>
        value is long count && count >= 0 ? count : throw Corrupt($"has a tensor {what} of {Describe(value)} at byte {at}; expected a non-negative integer");

    private long[] ToCounts(object? value, string what, int at) =>
        value is object?[] tuple ? tuple.Select(item => ToCount(item, what, at)).ToArray()
            : throw Corrupt($"has a tensor {what} of {Describe(value)} at byte {at}; expected a tuple of integers");

    private PickleDict SetItems(PickleDict dict, object?[] keysAndValues, int at)
    {
        if (keysAndValues.Length % 2 != 0)
            throw Corrupt($"sets dict items from an odd number of values at byte {at}");
        for (int i = 0; i < keysAndValues.Length; i += 2)
            dict.Set(keysAndValues[i], keysAndValues[i + 1]);
        return dict;
    }

    private void Append(int at, object?[] values)
    {
        if (Peek() is not List<object?> list)
            throw Corrupt($"appends to a {Describe(Peek())} at byte {at}; expected a list");
        list.AddRange(values);
    }

    /// <summary>The dict that sits <paramref name="depth"/> values below the top, which SETITEM(S) fills.</summary>
    private PickleDict PeekDict(int at, int depth)
    {
        int index = _stack.Count - 1 - depth;
        if (index < Floor)
            throw Corrupt($"runs out of values at byte {at}");
        return _stack[index] as PickleDict ?? throw Corrupt($"sets items on a {Describe(_stack[index])} at byte {at}; expected a dict");
    }

    private object? MemoGet(long index) =>
        _memo.TryGetValue(index, out object? value) ? value : throw Corrupt($"refers to memo entry {index}, which was never stored");

    private void Push(object? value) => _stack.Add(value);

    /// <summary>Values below the latest MARK belong to an enclosing container and may not be popped.</summary>
    private int Floor => _marks.Count > 0 ? _marks.Peek() : 0;

    private object? Peek() => _stack.Count > Floor ? _stack[^1] : throw Corrupt($"runs out of values at byte {_position - 1}");

    private object? Pop()
    {
        object? value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object?[] PopMany(int count)
    {
        if (_stack.Count - count < Floor)
            throw Corrupt($"runs out of values at byte {_position - 1}");
        object?[] values = _stack.GetRange(_stack.Count - count, count).ToArray();
        _stack.RemoveRange(_stack.Count - count, count);
        return values;
    }

    /// <summary>Removes and returns everything above the latest MARK.</summary>
    private object?[] PopMark()
    {
        if (!_marks.TryPop(out int mark))
            throw Corrupt($"closes a MARK that was never opened at byte {_position - 1}");
        object?[] values = _stack.GetRange(mark, _stack.Count - mark).ToArray();
        _stack.RemoveRange(mark, _stack.Count - mark);
        return values;
    }

    private byte ReadByte() => ReadBytes(1)[0];

    private ReadOnlySpan<byte> ReadBytes(long count)
    {
        if (count > _pickle.Length - _position)
            throw Corrupt($"ends at byte {_pickle.Length} in the middle of a value that needs {count} bytes from byte {_position}");
        ReadOnlySpan<byte> bytes = _pickle.AsSpan(_position, (int)count);
        _position += (int)count;
        return bytes;
    }

    /// <summary>An unsigned little-endian length of 4 or 8 bytes.</summary>
    private long ReadLength(int width)
    {
        ulong length = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)) : BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));
        return length <= (ulong)_pickle.Length ? (long)length : throw Corrupt($"declares a length of {length} bytes, more than the whole pickle holds");
    }

    /// <summary>A two's-complement little-endian integer, as LONG1/LONG4 store Python ints that do not fit BININT.</summary>
    private object ReadLong(long byteCount)
    {
        var value = new BigInteger(ReadBytes(byteCount), isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    private string ReadString(long byteCount) => Encoding.UTF8.GetString(ReadBytes(byteCount));

    /// <summary>A newline-terminated ASCII line, as GLOBAL spells module and name.</summary>
    private string ReadLine()
    {
        int end = Array.IndexOf(_pickle, (byte)'\n', _position);
        if (end < 0)
            throw Corrupt($"ends inside the name of a global at byte {_position}");
        string line = Encoding.ASCII.GetString(_pickle, _position, end - _position);
        _position = end + 1;
        return line;
    }

    private CheckpointException Corrupt(string what) =>
        CheckpointException.Unreadable(_file, $"The pickle (data.pkl) in '{_file}' {what}; the file is corrupt, truncated, or not written by torch.save.");

    /// <summary>The Python type of a value, for messages.</summary>
    internal static string Describe(object? value) => value switch
    {
        null => "None",
        bool => "bool",
        long or BigInteger => "int",
        double => "float",
        string => "str",
        byte[] => "bytes",
        object?[] tuple => $"tuple of {tuple.Length}",
        List<object?> => "list",
        PickleDict => "dict",
        PickleGlobal global => global.FullName,
        StorageReference => "storage",
        TensorReference => "tensor",
        _ => value.GetType().Name,
    };
}
