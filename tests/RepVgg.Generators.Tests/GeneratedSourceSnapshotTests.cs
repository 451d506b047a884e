namespace RepVgg.Generators.Tests;

/// <summary>The generated network classes, compared with the reviewed snapshots in <c>Snapshots/</c>.</summary>
public sealed class GeneratedSourceSnapshotTests
{
    [Fact]
    public void TinyFixture() => Snapshot.Verify(GeneratorHarness.Run(TestModels.TinyFixture));

    [Fact]
    public void RepVggA0() => Snapshot.Verify(GeneratorHarness.Run(TestModels.RepVggA0, TestModels.RootNamespace));

    [Fact]
    public void RepVggB1g4() => Snapshot.Verify(GeneratorHarness.Run(TestModels.RepVggB1g4));

    [Fact]
    public void DeployA1() => Snapshot.Verify(GeneratorHarness.Run(TestModels.DeployA1));

    [Fact]
    public void SmallPlus() => Snapshot.Verify(GeneratorHarness.Run(TestModels.SmallPlus));

}
