namespace RepVgg.Checkpoints;

/// <summary>Element type of a tensor as stored in a checkpoint.</summary>
public enum TensorDType
{
    Float32,
    Float16,
    BFloat16,
    Float64,
    Int64,
    Int32,
    Int16,
    Int8,
    UInt8,
    Bool,
    /// <summary>Any other type the file declares (complex, float8, ...); carried so a diagnostic can name it.</summary>
    Other,
}
