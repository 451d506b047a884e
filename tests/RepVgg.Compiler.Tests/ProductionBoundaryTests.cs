using System.Reflection;
using RepVgg.Checkpoints;
using RepVgg.Tooling.Synthetic;

namespace RepVgg.Compiler.Tests;

/// <summary>
/// The production assemblies (what an app and its build run) carry no tooling: the checkpoint writers, the
/// synthetic checkpoint maker and the float64 unfused reference live in RepVgg.Tooling, which production never
/// references.
/// </summary>
public class ProductionBoundaryTests
{
    private static readonly Assembly[] Production =
        [typeof(StateDict).Assembly, typeof(WeightsStep).Assembly, typeof(InferenceEngine).Assembly];

    private static readonly Assembly Tooling = typeof(SyntheticCheckpoint).Assembly;

    // The types moved out of production into RepVgg.Tooling; a copy left behind, or one moved back, fails the test.
    private static readonly string[] ToolingTypeNames =
    [
        "PthWriter", "PthOptions", "PthFormat", "StoredZipWriter", "PickleWriter", "SafetensorsWriter",
        "TensorToWrite", "FloatRounding", "InMemoryStateDict",
        "SyntheticCheckpoint", "SyntheticNetwork", "DeterministicRandom",
        "UnfusedReference", "Activation",
    ];

    [Fact]
    public void Production_assemblies_are_RepVgg_Checkpoints_Compiler_and_Runtime()
    {
        Assert.Equal(["RepVgg.Checkpoints", "RepVgg.Compiler", "RepVgg.Runtime"], Production.Select(a => a.GetName().Name));
        Assert.Equal("RepVgg.Tooling", Tooling.GetName().Name);
    }

    [Fact]
    public void Production_assemblies_do_not_reference_the_tooling()
    {
        foreach (Assembly assembly in Production)
            Assert.DoesNotContain(assembly.GetReferencedAssemblies(), reference => reference.Name == Tooling.GetName().Name);
    }

    [Fact]
    public void Production_assemblies_hold_no_tooling_type()
    {
        string[] found = Production
            .SelectMany(assembly => assembly.GetTypes())
            .Where(type => type.Namespace?.StartsWith("RepVgg.Tooling", StringComparison.Ordinal) == true
                           || ToolingTypeNames.Contains(type.Name))
            .Select(type => $"{type.FullName} in {type.Assembly.GetName().Name}")
            .ToArray();
        Assert.True(found.Length == 0, $"Tooling types in production assemblies: {string.Join(", ", found)}; expected them in RepVgg.Tooling.");
    }

    [Fact]
    public void Every_listed_tooling_type_is_in_the_tooling_assembly()
    {
        // Keeps the list above true: a renamed or deleted tooling type must be renamed here too.
        string[] toolingNames = Tooling.GetTypes().Select(type => type.Name).ToArray();
        Assert.All(ToolingTypeNames, name => Assert.Contains(name, toolingNames));
    }
}
