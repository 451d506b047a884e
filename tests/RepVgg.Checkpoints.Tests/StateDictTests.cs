using RepVgg.Compiler.Writing;

namespace RepVgg.Checkpoints.Tests;

/// <summary>State dicts built in memory, as other projects' tests build them.</summary>
public sealed class StateDictTests
{
    [Fact]
    public void FromTensors_KeepsOrderStripsModulePrefixAndReadsValues()
    {
        StateDict tensors = InMemoryStateDict.FromTensors("(memory)", [
            TensorToWrite.FromFloats("module.b", [2, 2], [1f, 2f, 3f, 4f]),
            TensorToWrite.FromFloats("a", [1], [0.5f], TensorDType.BFloat16),
        ]);

        Assert.Equal("(memory)", tensors.SourcePath);
        Assert.Equal(["b", "a"], tensors.Keys);
        Assert.Equal([1.0, 2, 3, 4], tensors["b"].ToDoubleArray());
        Assert.Equal("b", tensors["b"].Name);
        Assert.Equal([0.5], tensors["a"].ToDoubleArray());
        Assert.False(tensors.ContainsKey("module.b"));
    }

    [Fact]
    public void Shape_IsACopyTheCallerCannotUseToChangeTheTensor()
    {
        CheckpointTensor tensor = InMemoryStateDict.FromTensors("(memory)", [TensorToWrite.FromFloats("w", [2, 3], new float[6])])["w"];

        tensor.Shape[0] = 99;

        Assert.Equal([2, 3], tensor.Shape);
    }

    [Fact]
    public void FromFloats_RefusesAValueCountThatDoesNotMatchTheShape()
    {
        var error = Assert.Throws<ArgumentException>(() => TensorToWrite.FromFloats("w", [2, 3], new float[5]));

        Assert.Contains("needs 6 values; found 5", error.Message);
    }
}
