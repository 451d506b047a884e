namespace RepVgg.Checkpoints;

/// <summary>Element type of a tensor as stored in a checkpoint.</summary>
public enum TensorDType
{
    /// <summary>IEEE binary32 (<c>torch.float32</c>, safetensors <c>F32</c>).</summary>
    Float32,
    /// <summary>IEEE binary16 (<c>torch.float16</c>, <c>F16</c>).</summary>
    Float16,
    /// <summary>The upper 16 bits of a binary32 (<c>torch.bfloat16</c>, <c>BF16</c>).</summary>
    BFloat16,
    /// <summary>IEEE binary64 (<c>torch.float64</c>, <c>F64</c>).</summary>
    Float64,
    /// <summary>Signed 64-bit integer (<c>torch.int64</c>, <c>I64</c>); BatchNorm's <c>num_batches_tracked</c>.</summary>
    Int64,
    /// <summary>Signed 32-bit integer.</summary>
    Int32,
    /// <summary>Signed 16-bit integer.</summary>
    Int16,
    /// <summary>Signed 8-bit integer.</summary>
    Int8,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8,
    /// <summary>One byte per element, 0 or 1.</summary>
    Bool,
    /// <summary>Any other type the file declares (complex, float8, ...); carried so a diagnostic can name it.</summary>
    Other,
}
