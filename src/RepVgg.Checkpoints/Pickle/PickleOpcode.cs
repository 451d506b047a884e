namespace RepVgg.Checkpoints;

/// <summary>
/// The pickle opcodes (protocols 2 to 5) that a <c>torch.save</c> of a state dict and the usual
/// training-script extras (epoch, optimizer state, learning rates) produce. Values and names are
/// those of CPython's <c>Lib/pickle.py</c>. Anything else is refused by <see cref="RestrictedUnpickler"/>.
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

    // Protocol 2.
    Proto = 0x80,
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
    StackGlobal = 0x93,
    Memoize = 0x94,
    Frame = 0x95,
}
