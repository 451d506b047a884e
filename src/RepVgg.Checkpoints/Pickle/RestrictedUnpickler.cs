using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace RepVgg.Checkpoints;

/// <summary>
/// A pickle virtual machine that understands exactly what a state dict needs and nothing more.
/// It never calls anything: the allowed globals are tokens it interprets itself
/// (<c>OrderedDict()</c> becomes a <see cref="PickleDict"/>, <c>_rebuild_tensor_v2(...)</c> a
/// <see cref="TensorReference"/>, a storage persistent id a <see cref="StorageReference"/>), and whatever
/// the pickle builds from any other global (an <c>argparse.Namespace</c>, a scheduler, <c>os.system(...)</c>)
/// is an <see cref="InertObject"/> that records the global and nothing else. The caller decides whether
/// the values it needs depend on one.
/// </summary>
/// <remarks>
/// Python values map to: <c>None</c> null, <c>bool</c> bool, <c>int</c> long (or BigInteger beyond
/// 64 bits), <c>float</c> double, <c>str</c> string, <c>bytes</c> byte[], <c>tuple</c> object?[],
/// <c>list</c> List&lt;object?&gt;, <c>dict</c> PickleDict, <c>set</c> PickleSet. Memory stays linear in the
/// pickle's size: every opcode adds at most one value, and lengths are checked against the bytes that remain.
/// </remarks>
internal sealed class RestrictedUnpickler
{
    /// <summary>
    /// The longest pickle read: 16 MiB. A state_dict's pickle is about 100 bytes per tensor (RepVGG-B3's
    /// training checkpoint with its optimizer state, about 150 KB), and reading costs up to about 40 bytes
    /// of memory per pickle byte, so this bounds the unpickler below 1 GB whatever the file holds.
    /// </summary>
    public const int MaxPickleBytes = 16 << 20;

    private readonly byte[] _pickle;
    private readonly string _file;
    private readonly string _what;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private readonly List<string> _inertGlobals = [];
    private readonly Dictionary<string, StorageReference> _storages = new(StringComparer.Ordinal);
    private readonly int _start;
    private int _position;

    private RestrictedUnpickler(byte[] pickle, int start, string file, string what)
    {
        _pickle = pickle;
        _start = _position = start;
        _file = file;
        _what = what;
    }

    /// <summary>
    /// Runs the pickle that starts at <paramref name="start"/> to its STOP opcode. <paramref name="what"/>
    /// names it in messages (<c>data.pkl</c>).
    /// </summary>
    /// <exception cref="CheckpointException"><see cref="CheckpointProblem.Unreadable"/> for a truncated, corrupt or unsupported pickle.</exception>
    public static PickleResult Load(byte[] pickle, string file, string what = "data.pkl", int start = 0)
    {
        var unpickler = new RestrictedUnpickler(pickle, start, file, what);
        object? value = unpickler.Run();
        return new PickleResult(value, unpickler._inertGlobals, unpickler._storages, unpickler._position);
    }

    private object? Run()
    {
        while (true)
        {
            int opcodeAt = _position;
            if (opcodeAt - _start > MaxPickleBytes)
                throw Corrupt($"runs on past {MaxPickleBytes} bytes without a STOP opcode; expected a state_dict's pickle, which is far shorter");
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
                case PickleOpcode.ShortBinString: Push(ReadLatin1(ReadByte())); break;
                case PickleOpcode.BinString: Push(ReadLatin1(ReadLength(4))); break;
                case PickleOpcode.BinUnicode: Push(ReadString(ReadLength(4))); break;
                case PickleOpcode.BinUnicode8: Push(ReadString(ReadLength(8))); break;
                case PickleOpcode.ShortBinBytes: Push(ReadBytes(ReadByte()).ToArray()); break;
                case PickleOpcode.BinBytes: Push(ReadBytes(ReadLength(4)).ToArray()); break;
                case PickleOpcode.BinBytes8:
                case PickleOpcode.ByteArray8:
                    Push(ReadBytes(ReadLength(8)).ToArray());
                    break;

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

                case PickleOpcode.EmptySet: Push(new PickleSet()); break;
                case PickleOpcode.AddItems:
                    object?[] added = PopMark();
                    switch (Peek())
                    {
                        case PickleSet set: set.Items.AddRange(added); break;
                        case InertObject: break; // a set subclass: its items are skipped with it
                        default: throw Corrupt($"adds set items to a {Describe(Peek())} at byte {opcodeAt}; expected a set");
                    }
                    break;
                case PickleOpcode.FrozenSet:
                    var frozen = new PickleSet();
                    frozen.Items.AddRange(PopMark());
                    Push(frozen);
                    break;

                case PickleOpcode.BinPut: _memo[ReadByte()] = Peek(); break;
                case PickleOpcode.LongBinPut: _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Peek(); break;
                case PickleOpcode.Memoize: _memo[_memo.Count] = Peek(); break;
                case PickleOpcode.BinGet: Push(MemoGet(ReadByte())); break;
                case PickleOpcode.LongBinGet: Push(MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break;

                case PickleOpcode.Global:
                    string module = ReadLine();
                    Push(Resolve(module, ReadLine()));
                    break;
                case PickleOpcode.StackGlobal:
                    object? name = Pop(), moduleName = Pop();
                    if (moduleName is not string m || name is not string n)
                        throw Corrupt($"has a STACK_GLOBAL at byte {opcodeAt} whose module and name are not strings");
                    Push(Resolve(m, n));
                    break;
                case PickleOpcode.Ext1: Push(Extension(ReadByte())); break;
                case PickleOpcode.Ext2: Push(Extension(BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2)))); break;
                case PickleOpcode.Ext4: Push(Extension(BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4)))); break;
                case PickleOpcode.Reduce:
                    object? arguments = Pop();
                    Push(Call(Pop(), arguments, opcodeAt));
                    break;
                case PickleOpcode.NewObj:
                    object? constructorArguments = Pop();
                    Push(Construct(Pop(), constructorArguments, opcodeAt));
                    break;
                case PickleOpcode.NewObjEx:
                    Pop(); // keyword arguments
                    object? positional = Pop();
                    Push(Construct(Pop(), positional, opcodeAt));
                    break;
                case PickleOpcode.Obj:
                    object?[] classAndArguments = PopMark();
                    if (classAndArguments.Length == 0)
                        throw Corrupt($"has an OBJ with no class at byte {opcodeAt}");
                    Push(Construct(classAndArguments[0], classAndArguments[1..], opcodeAt));
                    break;
                case PickleOpcode.Inst:
                    string instModule = ReadLine();
                    PickleGlobal instClass = Resolve(instModule, ReadLine());
                    Push(Construct(instClass, PopMark(), opcodeAt));
                    break;
                case PickleOpcode.Build:
                    object? state = Pop();
                    // A state dict's OrderedDict gets its `_metadata` (module versions) this way, which the
                    // tensors do not depend on; an inert object keeps its state only to be recognised.
                    switch (Peek())
                    {
                        case PickleDict: break;
                        case InertObject inert: inert.State = state; break;
                        default: throw Corrupt($"sets the state of a {Describe(Peek())} with BUILD at byte {opcodeAt}; expected a dict or an object");
                    }
                    break;
                case PickleOpcode.BinPersId:
                    Push(ToStorage(Pop(), opcodeAt));
                    break;

                default:
                    throw Corrupt($"uses pickle opcode 0x{(byte)opcode:x2} at byte {opcodeAt}; expected only the opcodes torch.save writes for a state_dict");
            }
        }
    }

    /// <summary>
    /// Interprets a call (REDUCE). An allowed global is interpreted, nothing is ever invoked; calling
    /// anything else, or calling with an inert value where the tensor's data comes from, gives an inert object.
    /// </summary>
    private object Call(object? callable, object? arguments, int at)
    {
        if (callable is InertObject inert)
            return new InertObject(inert.Global);
        if (callable is not PickleGlobal global || arguments is not object?[] args)
            throw Corrupt($"calls a {Describe(callable)} with {Describe(arguments)} arguments at byte {at}; expected a global called with a tuple");
        if (!global.IsAllowed)
            return new InertObject(global);
        switch (global.FullName)
        {
            case AllowedGlobals.OrderedDict when args.Length == 0:
                return new PickleDict();
            case AllowedGlobals.RebuildTensor when args.Length is 6 or 7 && args[0] is StorageReference storage:
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]);
                // the last ones matter only for autograd.
                if (InertIn(args[1..4]) is { } inertArgument)
                    return inertArgument;
                long[] sizes = ToCounts(args[2], "size", at), strides = ToCounts(args[3], "stride", at);
                if (sizes.Length != strides.Length)
                    throw Corrupt($"rebuilds a tensor with {sizes.Length} sizes but {strides.Length} strides at byte {at}; expected one stride per dimension");
                return new TensorReference(storage, ToCount(args[1], "storage offset", at),
                    sizes.Select(size => size <= int.MaxValue ? (int)size : throw Corrupt($"has a tensor dimension of {size} at byte {at}; expected at most {int.MaxValue}")).ToArray(),
                    strides);
            case AllowedGlobals.RebuildParameter when args.Length == 3 && args[0] is TensorReference data:
                return data;
            case AllowedGlobals.RebuildTensor or AllowedGlobals.RebuildParameter when args.Length > 0 && InertIn(args[..1]) is { } dependency:
                // A tensor whose data an unknown global makes (a tensor subclass, a custom storage) is inert too.
                return dependency;
            default:
                throw Corrupt($"calls {global.FullName} with {args.Length} arguments ({string.Join(", ", args.Select(Describe))}) at byte {at}; " +
                    "expected OrderedDict(), _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks) or _rebuild_parameter(tensor, requires_grad, hooks)");
        }
    }

    /// <summary>Interprets <c>cls.__new__(cls, *args)</c> (NEWOBJ, NEWOBJ_EX, OBJ, INST): only an OrderedDict is built, the rest is inert.</summary>
    private object Construct(object? type, object? arguments, int at) => type switch
    {
        PickleGlobal { FullName: AllowedGlobals.OrderedDict } => new PickleDict(),
        PickleGlobal { IsAllowed: false } global => new InertObject(global),
        InertObject inert => new InertObject(inert.Global),
        _ => throw Corrupt($"constructs a {Describe(type)} with {Describe(arguments)} arguments at byte {at}; expected a class"),
    };

    /// <summary>The first inert value among <paramref name="values"/> or the items of tuples among them.</summary>
    private static InertObject? InertIn(IEnumerable<object?> values)
    {
        foreach (object? value in values)
        {
            if ((InertObject.Of(value) ?? (value is object?[] tuple ? InertIn(tuple) : null)) is { } inert)
                return inert;
        }
        return null;
    }

    private PickleGlobal Resolve(string module, string name)
    {
        PickleGlobal global = AllowedGlobals.Resolve(module, name);
        if (!global.IsAllowed && !_inertGlobals.Contains(global.FullName))
            _inertGlobals.Add(global.FullName);
        return global;
    }

    /// <summary>A global named by its code in copyreg's extension registry, which this reader does not have.</summary>
    private PickleGlobal Extension(int code) => Resolve("copyreg", $"<extension code {code}>");

    /// <summary>
    /// Reads a persistent id <c>('storage', storage class, key, location, element count)</c>, as the zip
    /// format writes it, or the legacy format's with a sixth item, the view metadata, which is None for a
    /// whole storage.
    /// </summary>
    private StorageReference ToStorage(object? persistentId, int at)
    {
        if (persistentId is object?[] { Length: 5 or 6 } id && id[0] is "storage" && id[1] is PickleGlobal storageType
            && AllowedGlobals.StorageDType(storageType) is TensorDType dtype && id[2] is string key && id[3] is string
            && (id.Length == 5 || id[5] is null))
        {
            var storage = new StorageReference(key, dtype, storageType.FullName, ToCount(id[4], "storage size", at));
            if (_storages.TryAdd(key, storage) || _storages[key] == storage)
                return storage;
            throw Corrupt($"declares storage '{key}' twice, as {_storages[key].ElementCount} x {_storages[key].StorageType} and as {storage.ElementCount} x {storage.StorageType}, at byte {at}");
        }
        throw Corrupt($"has a persistent id {Describe(persistentId)} at byte {at}; expected ('storage', torch.<Type>Storage, key, location, size) as torch.save writes");
    }

    private long ToCount(object? value, string what, int at) => value switch
    {
        long count and >= 0 => count,
        long negative => throw Corrupt($"has a tensor {what} of {negative} at byte {at}; expected an integer from 0 to {long.MaxValue}"),
        BigInteger big => throw Corrupt($"has a tensor {what} of {big.GetBitLength()} bits at byte {at}; expected an integer from 0 to {long.MaxValue}"),
        _ => throw Corrupt($"has a tensor {what} of type {Describe(value)} at byte {at}; expected an integer from 0 to {long.MaxValue}"),
    };

    private long[] ToCounts(object? value, string what, int at) =>
        value is object?[] tuple ? tuple.Select(item => ToCount(item, what, at)).ToArray()
            : throw Corrupt($"has a tensor {what} of {Describe(value)} at byte {at}; expected a tuple of integers");

    /// <summary>Fills a dict; an inert object (a dict subclass such as <c>collections.defaultdict</c>) is skipped with its items.</summary>
    private object SetItems(object target, object?[] keysAndValues, int at)
    {
        if (keysAndValues.Length % 2 != 0)
            throw Corrupt($"sets dict items from an odd number of values at byte {at}");
        if (target is PickleDict dict)
        {
            for (int i = 0; i < keysAndValues.Length; i += 2)
                dict.Set(keysAndValues[i], keysAndValues[i + 1]);
        }
        return target;
    }

    private void Append(int at, object?[] values)
    {
        switch (Peek())
        {
            case List<object?> list: list.AddRange(values); break;
            case InertObject: break; // a list subclass: its items are skipped with it
            default: throw Corrupt($"appends to a {Describe(Peek())} at byte {at}; expected a list");
        }
    }

    /// <summary>The dict (or inert dict subclass) that sits <paramref name="depth"/> values below the top, which SETITEM(S) fills.</summary>
    private object PeekDict(int at, int depth)
    {
        int index = _stack.Count - 1 - depth;
        if (index < Floor)
            throw Corrupt($"runs out of values at byte {at}");
        return _stack[index] is PickleDict or InertObject
            ? _stack[index]!
            : throw Corrupt($"sets items on a {Describe(_stack[index])} at byte {at}; expected a dict");
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
        return length <= (ulong)(_pickle.Length - _position) ? (long)length : throw Corrupt($"declares a value of {length} bytes at byte {_position}, more than the {_pickle.Length - _position} bytes left");
    }

    /// <summary>A two's-complement little-endian integer, as LONG1/LONG4 store Python ints that do not fit BININT.</summary>
    private object ReadLong(long byteCount)
    {
        var value = new BigInteger(ReadBytes(byteCount), isUnsigned: false, isBigEndian: false);
        // The cast to object matters: without it the conditional's type is BigInteger, and every LONG1/LONG4 int stays one.
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
    }

    private string ReadString(long byteCount) => Encoding.UTF8.GetString(ReadBytes(byteCount));

    /// <summary>A Python 2 <c>str</c> (BINSTRING), which Python 3 reads as Latin-1 text.</summary>
    private string ReadLatin1(long byteCount) => Encoding.Latin1.GetString(ReadBytes(byteCount));

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
        CheckpointException.Unreadable(_file, $"The pickle ({_what}) in '{_file}' {what}; the file is corrupt, truncated, or not written by torch.save.");

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
        PickleSet => "set",
        PickleGlobal global => global.FullName,
        InertObject inert => $"{inert.Global.FullName} object",
        StorageReference => "storage",
        TensorReference => "tensor",
        _ => value.GetType().Name,
    };
}
