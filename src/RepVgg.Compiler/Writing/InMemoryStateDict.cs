using RepVgg.Checkpoints;

namespace RepVgg.Compiler.Writing;

/// <summary>A <see cref="StateDict"/> built in memory from tensors as the writers take them, without a file; for tests of code that consumes state dicts.</summary>
public static class InMemoryStateDict
{
    /// <summary>The tensors as a reader would return them from a file at <paramref name="sourcePath"/>, <c>module.</c> prefix removed.</summary>
    /// <exception cref="CheckpointException">A tensor's data is shorter than its shape needs, or two names collide.</exception>
    public static StateDict FromTensors(string sourcePath, IEnumerable<TensorToWrite> tensors) =>
        new(sourcePath, tensors.Select(t => new CheckpointTensor(sourcePath, t.Name, t.DType, t.DType.TorchName(),
            (int[])t.Shape.Clone(), 0, CheckpointTensor.ContiguousStrides(t.Shape), t.Data)));
}
