namespace RepVgg.Checkpoints;

/// <summary>
/// A tensor as <c>torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)</c> describes
/// it: a strided view, in elements, into a storage. Checked against the storage's bytes once they are loaded.
/// </summary>
/// <param name="Storage">The storage the view reads.</param>
/// <param name="StorageOffset">First element of the view.</param>
/// <param name="Shape">Size of each dimension.</param>
/// <param name="Strides">Elements to step per index in each dimension.</param>
internal sealed record TensorReference(StorageReference Storage, long StorageOffset, int[] Shape, long[] Strides);
