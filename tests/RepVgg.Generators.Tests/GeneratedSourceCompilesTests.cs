using Microsoft.CodeAnalysis;

namespace RepVgg.Generators.Tests;

/// <summary>The generated classes compile against RepVgg.Runtime with no error and no warning, documentation included.</summary>
public sealed class GeneratedSourceCompilesTests
{
    [Theory]
    [MemberData(nameof(TestModels.All), MemberType = typeof(TestModels))]
    public void Compiles_without_errors_or_warnings(string model)
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver([TestModels.Named(model)], TestModels.RootNamespace);

        driver.RunGeneratorsAndUpdateCompilation(
            GeneratorHarness.CreateCompilation(GeneratorHarness.UnrelatedSource), out Compilation output, out var generatorDiagnostics);

        Assert.Empty(generatorDiagnostics);
        Assert.Equal(2, output.SyntaxTrees.Count());
        Assert.Empty(output.GetDiagnostics().Where(diagnostic => diagnostic.Severity >= DiagnosticSeverity.Warning).Select(diagnostic => diagnostic.ToString()));
    }

    [Fact]
    public void All_models_compile_together_with_one_file_each()
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver(
            [TestModels.TinyFixture, TestModels.RepVggA0, TestModels.RepVggB1g4, TestModels.DeployA1, TestModels.SmallPlus], TestModels.RootNamespace);

        driver = driver.RunGeneratorsAndUpdateCompilation(
            GeneratorHarness.CreateCompilation(GeneratorHarness.UnrelatedSource), out Compilation output, out _);

        Assert.Equal(
            ["Fixtures.Models.TinyNet.g.cs", "Sample.App.DeployedA1.g.cs", "Sample.App.RepVggA0.g.cs", "Sample.Vision.RepVggB1g4.g.cs", "Sample.Vision.SmallPlus.g.cs"],
            driver.GetRunResult().GeneratedTrees.Select(tree => Path.GetFileName(tree.FilePath)).Order(StringComparer.Ordinal));
        Assert.Empty(output.GetDiagnostics().Where(diagnostic => diagnostic.Severity >= DiagnosticSeverity.Warning).Select(diagnostic => diagnostic.ToString()));
    }
}
