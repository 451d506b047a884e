namespace RepVgg.Checkpoints;

/// <summary>
/// What a torch.save persistent id <c>('storage', torch.FloatStorage, '0', 'cpu', 432)</c> says: the
/// storage's bytes live in the zip entry <c>data/0</c>, hold <paramref name="ElementCount"/> elements
/// of <paramref name="DType"/>. The bytes are loaded later, and only if a state-dict tensor uses them.
/// </summary>
/// <param name="Key">Entry name under <c>data/</c>.</param>
/// <param name="DType">Element type from the storage class.</param>
/// <param name="StorageType">The storage class, e.g. <c>torch.FloatStorage</c>, for messages.</param>
/// <param name="ElementCount">Elements the storage declares.</param>
internal sealed record StorageReference(string Key, TensorDType DType, string StorageType, long ElementCount);
