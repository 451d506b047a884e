namespace RepVgg.Checkpoints;

/// <summary>
/// The only Python globals whose meaning the reader knows: what <c>torch.save(model.state_dict())</c> needs.
/// Nothing else is ever called or constructed, however harmless it looks, because unpickling a global is
/// how a pickle runs code (<c>os.system</c>, <c>builtins.eval</c>, any class with a hostile <c>__reduce__</c>):
/// what the pickle builds from one is an <see cref="InertObject"/>, and a tensor that needs one is refused.
/// </summary>
internal static class AllowedGlobals
{
    public const string OrderedDict = "collections.OrderedDict";
    public const string RebuildTensor = "torch._utils._rebuild_tensor_v2";
    public const string RebuildParameter = "torch._utils._rebuild_parameter";

    /// <summary>Legacy typed-storage classes, which torch.save still names in persistent ids, by element type.</summary>
    private static readonly Dictionary<string, TensorDType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = TensorDType.Float32,
        ["HalfStorage"] = TensorDType.Float16,
        ["BFloat16Storage"] = TensorDType.BFloat16,
        ["DoubleStorage"] = TensorDType.Float64,
        ["LongStorage"] = TensorDType.Int64,
        ["IntStorage"] = TensorDType.Int32,
        ["ShortStorage"] = TensorDType.Int16,
        ["CharStorage"] = TensorDType.Int8,
        ["ByteStorage"] = TensorDType.UInt8,
        ["BoolStorage"] = TensorDType.Bool,
    };

    /// <summary>The allow-list as one phrase for error messages.</summary>
    public static string Description =>
        $"{OrderedDict}, {RebuildTensor}, {RebuildParameter} and the storage classes " +
        string.Join(", ", StorageTypes.Keys.Select(name => "torch." + name));

    /// <summary>The global <paramref name="module"/>.<paramref name="name"/>, marked allowed or not; nothing is looked up or loaded.</summary>
    public static PickleGlobal Resolve(string module, string name)
    {
        string fullName = $"{module}.{name}";
        bool allowed = fullName is OrderedDict or RebuildTensor or RebuildParameter
            || (module == "torch" && StorageTypes.ContainsKey(name));
        return new PickleGlobal(module, name, allowed);
    }

    /// <summary>Element type of a storage class, or null when <paramref name="global"/> is not one.</summary>
    public static TensorDType? StorageDType(PickleGlobal global) =>
        global.IsAllowed && global.Module == "torch" && StorageTypes.TryGetValue(global.Name, out TensorDType dtype) ? dtype : null;

    /// <summary>The storage class torch.save names for <paramref name="dtype"/>.</summary>
    public static string StorageTypeName(TensorDType dtype) =>
        StorageTypes.FirstOrDefault(pair => pair.Value == dtype).Key
        ?? throw new ArgumentException($"Expected an element type PyTorch has a storage class for; found {dtype}.", nameof(dtype));
}
