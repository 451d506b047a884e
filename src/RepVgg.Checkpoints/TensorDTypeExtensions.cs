namespace RepVgg.Checkpoints;

/// <summary>Element sizes and PyTorch names of <see cref="TensorDType"/> values.</summary>
public static class TensorDTypeExtensions
{
    /// <summary>Bytes per element; 0 for <see cref="TensorDType.Other"/>, whose size this library does not know.</summary>
    public static int ElementSize(this TensorDType dtype) => dtype switch
    {
        TensorDType.Float64 or TensorDType.Int64 => 8,
        TensorDType.Float32 or TensorDType.Int32 => 4,
        TensorDType.Float16 or TensorDType.BFloat16 or TensorDType.Int16 => 2,
        TensorDType.Int8 or TensorDType.UInt8 or TensorDType.Bool => 1,
        _ => 0,
    };

    /// <summary>The name PyTorch prints for the type (<c>float32</c>, <c>bfloat16</c>, <c>int64</c>, ...).</summary>
    public static string TorchName(this TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => "float32",
        TensorDType.Float16 => "float16",
        TensorDType.BFloat16 => "bfloat16",
        TensorDType.Float64 => "float64",
        TensorDType.Int64 => "int64",
        TensorDType.Int32 => "int32",
        TensorDType.Int16 => "int16",
        TensorDType.Int8 => "int8",
        TensorDType.UInt8 => "uint8",
        TensorDType.Bool => "bool",
        _ => "other",
    };

    /// <summary>Whether <see cref="CheckpointTensor.ToDoubleArray"/> can convert the type exactly.</summary>
    public static bool IsFloatingPoint(this TensorDType dtype) =>
        dtype is TensorDType.Float32 or TensorDType.Float16 or TensorDType.BFloat16 or TensorDType.Float64;
}
