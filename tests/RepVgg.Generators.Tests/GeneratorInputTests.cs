namespace RepVgg.Generators.Tests;

/// <summary>Which AdditionalFiles items are models, and how their metadata is read.</summary>
public sealed class GeneratorInputTests
{
    [Fact]
    public void An_item_without_RepVggClassName_is_not_a_model()
    {
        ModelItem other = TestModels.TinyFixture.WithMetadata(TestModels.MetadataKey("RepVggClassName"), "");

        var result = GeneratorHarness.Run(other);

        Assert.Empty(result.GeneratedTrees);
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void Namespace_falls_back_to_RootNamespace_then_to_the_global_namespace()
    {
        ModelItem model = TestModels.TinyFixture.WithMetadata(TestModels.MetadataKey("RepVggNamespace"), "");

        string withRoot = GeneratorHarness.Run(model, "My.Root").Results[0].GeneratedSources.Single().HintName;
        string withoutRoot = GeneratorHarness.Run(model).Results[0].GeneratedSources.Single().HintName;

        Assert.Equal("My.Root.TinyNet.g.cs", withRoot);
        Assert.Equal("TinyNet.g.cs", withoutRoot);
    }

    [Fact]
    public void Metadata_values_are_trimmed()
    {
        ModelItem model = TestModels.TinyFixture
            .WithMetadata(TestModels.MetadataKey("RepVggClassName"), " TinyNet ")
            .WithMetadata(TestModels.MetadataKey("RepVggInputHeight"), " 32 ");

        var result = GeneratorHarness.Run(model);

        Assert.Empty(result.Diagnostics);
        Assert.Equal("Fixtures.Models.TinyNet.g.cs", result.Results[0].GeneratedSources.Single().HintName);
    }
}
