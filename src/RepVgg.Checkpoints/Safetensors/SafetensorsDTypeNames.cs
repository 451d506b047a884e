namespace RepVgg.Checkpoints;

/// <summary>The dtype strings of the safetensors header (<c>F32</c>, <c>BF16</c>, ...) and their <see cref="TensorDType"/>.</summary>
internal static class SafetensorsDTypeNames
{
    private static readonly Dictionary<string, TensorDType> ByName = new(StringComparer.Ordinal)
    {
        ["F32"] = TensorDType.Float32,
        ["F16"] = TensorDType.Float16,
        ["BF16"] = TensorDType.BFloat16,
        ["F64"] = TensorDType.Float64,
        ["I64"] = TensorDType.Int64,
        ["I32"] = TensorDType.Int32,
        ["I16"] = TensorDType.Int16,
        ["I8"] = TensorDType.Int8,
        ["U8"] = TensorDType.UInt8,
        ["BOOL"] = TensorDType.Bool,
    };

    /// <summary>The type a header string names; <see cref="TensorDType.Other"/> for F8_E4M3, C64, U16 and the rest.</summary>
    public static TensorDType Parse(string name) => ByName.GetValueOrDefault(name, TensorDType.Other);

    /// <summary>The header string for <paramref name="dtype"/>.</summary>
    /// <exception cref="ArgumentException"><see cref="TensorDType.Other"/>, which has no single name.</exception>
    public static string Format(TensorDType dtype) =>
        ByName.FirstOrDefault(pair => pair.Value == dtype).Key
        ?? throw new ArgumentException($"Expected a safetensors element type; found {dtype}.", nameof(dtype));
}
