using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace RepVgg.Checkpoints;

/// <summary>
/// One tensor of a checkpoint: a shape and element type over a slice of a storage. Like a PyTorch
/// tensor it may be a strided view (an offset and per-dimension strides, both in elements) into a
/// storage that other tensors share. The storage's bytes are read from the file only when values are
/// asked for, so holding every tensor of a large checkpoint costs almost no memory.
/// </summary>
public sealed class CheckpointTensor
{
    private readonly string _sourcePath;
    private readonly int[] _shape;
    private readonly long[] _strides;
    private readonly long _storageOffset;
    private readonly StorageBytes _storage;

    /// <summary>A view of bytes already in memory.</summary>
    internal CheckpointTensor(string sourcePath, string name, TensorDType dtype, string declaredDType,
        int[] shape, long storageOffset, long[] strides, ReadOnlyMemory<byte> storage)
        : this(sourcePath, name, dtype, declaredDType, shape, storageOffset, strides, StorageBytes.InMemory(storage))
    {
    }

    /// <summary>
    /// Checks that the view fits inside <paramref name="storage"/>'s declared length; a storage cut short
    /// by a truncated or corrupt file is reported here, naming the tensor, rather than when values are read.
    /// </summary>
    internal CheckpointTensor(string sourcePath, string name, TensorDType dtype, string declaredDType,
        int[] shape, long storageOffset, long[] strides, StorageBytes storage)
    {
        _sourcePath = sourcePath;
        Name = name;
        DType = dtype;
        DeclaredDType = declaredDType;
        _shape = shape;
        _storageOffset = storageOffset;
        _strides = strides;
        _storage = storage;
        long needed;
        try
        {
            ElementCount = CountElements(shape);
            needed = BytesNeeded();
        }
        catch (OverflowException)
        {
            needed = long.MaxValue;
        }
        // A view with zero strides can claim more elements than a storage holds; no array could take them.
        if (ElementCount > Array.MaxLength)
            throw CheckpointException.Unreadable(sourcePath,
                $"Tensor '{name}' in '{sourcePath}' has shape {FormatShape(shape)}; expected at most {Array.MaxLength} elements.", name);
        if (needed > storage.Length)
            throw CheckpointException.Unreadable(sourcePath,
                $"Tensor '{name}' in '{sourcePath}' ({declaredDType}, shape {FormatShape(shape)}, storage offset {storageOffset}) " +
                $"needs {needed} bytes of storage but the file holds only {storage.Length}; the checkpoint is truncated or corrupt.",
                name);
        // A view may not hold more elements than its storage: a stride-0 view (what t.expand() saves) of a
        // few bytes can claim billions of elements, each of which reading would materialise.
        int elementSize = dtype.ElementSize();
        if (elementSize > 0 && ElementCount > storage.Length / elementSize)
            throw CheckpointException.Unreadable(sourcePath,
                $"Tensor '{name}' in '{sourcePath}' (shape {FormatShape(shape)}, strides {FormatShape(strides.Select(s => (int)Math.Min(s, int.MaxValue)))}) " +
                $"views {ElementCount} elements of a storage that holds {storage.Length / elementSize}: a stride-0 or overlapping view, as t.expand() saves. " +
                "Expected each tensor to own its elements: save t.contiguous().", name);
    }

    /// <summary>The key in the state dict, after wrappers and the DataParallel <c>module.</c> prefix are removed.</summary>
    public string Name { get; }

    /// <summary>Element type as stored.</summary>
    public TensorDType DType { get; }

    /// <summary>The type as the file spells it (<c>F32</c>, <c>F8_E4M3</c>, <c>torch.FloatStorage</c>), for messages.</summary>
    public string DeclaredDType { get; }

    /// <summary>Size of each dimension, outermost first; empty for a scalar. A fresh copy on every call.</summary>
    public int[] Shape => (int[])_shape.Clone();

    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>
    /// The values in row-major order of <see cref="Shape"/>, converted exactly from float32, float16,
    /// bfloat16 or float64 (every one of them is a double without rounding).
    /// </summary>
    /// <exception cref="CheckpointException">
    /// <see cref="CheckpointProblem.UnsupportedDType"/> for any other element type.
    /// </exception>
    public double[] ToDoubleArray()
    {
        if (!DType.IsFloatingPoint())
            throw new CheckpointException(CheckpointProblem.UnsupportedDType, _sourcePath, Name,
                $"Tensor '{Name}' in '{_sourcePath}' has element type {DescribeDType()}; expected float32, float16, bfloat16 or float64, " +
                "the types that convert to floating point exactly.");

        var values = new double[ElementCount];
        if (values.Length == 0)
            return values;

        ReadOnlySpan<byte> storage = _storage.Load().Span;
        if (IsContiguous() && BitConverter.IsLittleEndian)
        {
            // Nearly every saved tensor owns its storage in row-major order: one tight loop per type
            // converts it about twice as fast as the general walk below, seconds on a 500 MB checkpoint.
            int size = DType.ElementSize();
            DecodeContiguous(storage.Slice((int)(_storageOffset * size), values.Length * size), values);
            return values;
        }

        // Walk the view like an odometer: the last index moves fastest, and each carry undoes the
        // strides of the dimension that wrapped. This covers transposes, slices and expanded tensors.
        var index = new int[_shape.Length];
        long element = _storageOffset;
        for (long i = 0; i < values.Length; i++)
        {
            values[i] = Decode(storage, element);
            for (int d = _shape.Length - 1; d >= 0; d--)
            {
                element += _strides[d];
                if (++index[d] < _shape[d])
                    break;
                element -= _strides[d] * _shape[d];
                index[d] = 0;
            }
        }
        return values;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {DescribeDType()} {FormatShape(_shape)}";

    /// <summary>The same view under another key (the reader strips <c>module.</c> this way).</summary>
    internal CheckpointTensor WithName(string name) =>
        new(_sourcePath, name, DType, DeclaredDType, _shape, _storageOffset, _strides, _storage);

    /// <summary>Row-major strides, in elements, of a contiguous tensor of <paramref name="shape"/>, as a pickle's tensor rebuild gives them.</summary>
    public static long[] ContiguousStrides(int[] shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d];
        }
        return strides;
    }

    internal static long CountElements(IReadOnlyList<int> shape)
    {
        long count = 1;
        foreach (int size in shape)
            count = checked(count * size);
        return count;
    }

    internal static string FormatShape(IEnumerable<int> shape) => "[" + string.Join(", ", shape) + "]";

    private long BytesNeeded()
    {
        int elementSize = DType.ElementSize();
        // An empty tensor touches no storage; an unknown-size type is checked by its reader, which
        // knows the byte length the file declares.
        if (ElementCount == 0 || elementSize == 0)
            return 0;
        long lastElement = _storageOffset;
        for (int d = 0; d < _shape.Length; d++)
            lastElement = checked(lastElement + (_shape[d] - 1) * _strides[d]);
        return checked((lastElement + 1) * elementSize);
    }

    /// <summary>Whether the view is row-major without gaps; strides of size-1 dimensions do not matter.</summary>
    private bool IsContiguous()
    {
        long expected = 1;
        for (int d = _shape.Length - 1; d >= 0; d--)
        {
            if (_shape[d] != 1 && _strides[d] != expected)
                return false;
            expected *= _shape[d];
        }
        return true;
    }

    /// <summary>Converts elements stored back to back; the storage is little-endian, as is the machine.</summary>
    private void DecodeContiguous(ReadOnlySpan<byte> bytes, Span<double> values)
    {
        switch (DType)
        {
            case TensorDType.Float32:
                ReadOnlySpan<float> singles = MemoryMarshal.Cast<byte, float>(bytes);
                for (int i = 0; i < values.Length; i++)
                    values[i] = singles[i];
                break;
            case TensorDType.Float16:
                ReadOnlySpan<Half> halves = MemoryMarshal.Cast<byte, Half>(bytes);
                for (int i = 0; i < values.Length; i++)
                    values[i] = (double)halves[i];
                break;
            case TensorDType.BFloat16:
                ReadOnlySpan<ushort> brains = MemoryMarshal.Cast<byte, ushort>(bytes);
                for (int i = 0; i < values.Length; i++)
                    values[i] = BitConverter.Int32BitsToSingle(brains[i] << 16);
                break;
            default:
                MemoryMarshal.Cast<byte, double>(bytes).CopyTo(values);
                break;
        }
    }

    private double Decode(ReadOnlySpan<byte> storage, long element) => DType switch
    {
        TensorDType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(storage[(int)(element * 4)..]),
        TensorDType.Float16 => (double)BinaryPrimitives.ReadHalfLittleEndian(storage[(int)(element * 2)..]),
        TensorDType.BFloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(storage[(int)(element * 2)..]) << 16),
        _ => BinaryPrimitives.ReadDoubleLittleEndian(storage[(int)(element * 8)..]),
    };

    private string DescribeDType() =>
        DType == TensorDType.Other ? $"'{DeclaredDType}'" : DType.TorchName();
}
