using System.Buffers.Binary;
using RepVgg.Checkpoints;

namespace RepVgg.Compiler.Writing;

/// <summary>
/// A tensor for <see cref="PthWriter"/> or <see cref="SafetensorsWriter"/>: contiguous little-endian
/// elements in row-major order. The writers store <paramref name="Data"/> exactly as given and do not
/// check it against <paramref name="Shape"/>, so a test can write a storage that is too short on
/// purpose; the factories always produce consistent data.
/// </summary>
/// <param name="Name">Key in the state dict.</param>
/// <param name="DType">Element type; the writers refuse <see cref="TensorDType.Other"/>.</param>
/// <param name="Shape">Size of each dimension; empty for a scalar.</param>
/// <param name="Data">Raw elements, little-endian, row-major.</param>
public sealed record TensorToWrite(string Name, TensorDType DType, int[] Shape, ReadOnlyMemory<byte> Data)
{
    /// <summary>
    /// A tensor of <paramref name="values"/> stored as float32, float16 or bfloat16 (rounded to
    /// nearest, ties to even, as PyTorch's <c>.half()</c> and <c>.bfloat16()</c> do) or float64.
    /// </summary>
    /// <exception cref="ArgumentException">The number of values is not the product of the shape, or the type is not floating point.</exception>
    public static TensorToWrite FromFloats(string name, int[] shape, ReadOnlySpan<float> values, TensorDType dtype = TensorDType.Float32)
    {
        if (CheckpointTensor.CountElements(shape) != values.Length)
            throw new ArgumentException($"Tensor '{name}' has shape {CheckpointTensor.FormatShape(shape)}, which needs {CheckpointTensor.CountElements(shape)} values; found {values.Length}.", nameof(values));
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"Expected float32, float16, bfloat16 or float64 for tensor '{name}'; found {dtype.TorchName()}.", nameof(dtype));

        int size = dtype.ElementSize();
        var data = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            Span<byte> element = data.AsSpan(i * size, size);
            switch (dtype)
            {
                case TensorDType.Float32: BinaryPrimitives.WriteSingleLittleEndian(element, values[i]); break;
                case TensorDType.Float64: BinaryPrimitives.WriteDoubleLittleEndian(element, values[i]); break;
                case TensorDType.Float16: BinaryPrimitives.WriteUInt16LittleEndian(element, FloatRounding.ToFloat16Bits(values[i])); break;
                default: BinaryPrimitives.WriteUInt16LittleEndian(element, FloatRounding.ToBFloat16Bits(values[i])); break;
            }
        }
        return new TensorToWrite(name, dtype, (int[])shape.Clone(), data);
    }

    /// <summary>An int64 scalar, like BatchNorm's <c>num_batches_tracked</c>.</summary>
    public static TensorToWrite Int64Scalar(string name, long value)
    {
        var data = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(data, value);
        return new TensorToWrite(name, TensorDType.Int64, [], data);
    }
}
