namespace RepVgg.Checkpoints;

/// <summary>
/// The pickle opcodes <see cref="RestrictedUnpickler"/> reads: everything CPython's pickler writes at
/// protocols 2 to 5 for a <c>torch.save</c> of a state dict or of a training script's dict (optimizer
/// and scheduler state, <c>argparse.Namespace</c>, sets), plus the protocol-1 object opcodes. Values and
/// names are those of CPython's <c>Lib/pickle.py</c>. Anything else (protocol 0's text opcodes,
/// protocol 5's out-of-band buffers) is refused.
/// </summary>
internal enum PickleOpcode : byte
{
    Mark = (byte)'(',
    Stop = (byte)'.',
    Pop = (byte)'0',
    PopMark = (byte)'1',
    Dup = (byte)'2',
    BinFloat = (byte)'G',
    BinInt = (byte)'J',
    BinInt1 = (byte)'K',
    BinInt2 = (byte)'M',
    None = (byte)'N',
    BinPersId = (byte)'Q',
    Reduce = (byte)'R',
    BinUnicode = (byte)'X',
    BinString = (byte)'T',
    ShortBinString = (byte)'U',
    BinBytes = (byte)'B',
    ShortBinBytes = (byte)'C',
    EmptyList = (byte)']',
    Append = (byte)'a',
    Build = (byte)'b',
    Global = (byte)'c',
    Dict = (byte)'d',
    EmptyDict = (byte)'}',
    Appends = (byte)'e',
    BinGet = (byte)'h',
    LongBinGet = (byte)'j',
    List = (byte)'l',
    BinPut = (byte)'q',
    LongBinPut = (byte)'r',
    SetItem = (byte)'s',
    Tuple = (byte)'t',
    EmptyTuple = (byte)')',
    SetItems = (byte)'u',
    Inst = (byte)'i',
    Obj = (byte)'o',

    // Protocol 2.
    Proto = 0x80,
    NewObj = 0x81,
    Ext1 = 0x82,
    Ext2 = 0x83,
    Ext4 = 0x84,
    Tuple1 = 0x85,
    Tuple2 = 0x86,
    Tuple3 = 0x87,
    NewTrue = 0x88,
    NewFalse = 0x89,
    Long1 = 0x8a,
    Long4 = 0x8b,

    // Protocol 4.
    ShortBinUnicode = 0x8c,
    BinUnicode8 = 0x8d,
    BinBytes8 = 0x8e,
    EmptySet = 0x8f,
    AddItems = 0x90,
    FrozenSet = 0x91,
    NewObjEx = 0x92,
    StackGlobal = 0x93,
    Memoize = 0x94,
    Frame = 0x95,

    // Protocol 5.
    ByteArray8 = 0x96,
}
