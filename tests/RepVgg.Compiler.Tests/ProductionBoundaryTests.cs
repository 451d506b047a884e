using System.Reflection;
using RepVgg.Checkpoints;

namespace RepVgg.Compiler.Tests;

/// <summary>
/// The production assemblies (what an app, its build and the repvgg tool run) carry nothing that only tests use:
/// the test helpers live in tests/ (RepVgg.Testing, RepVgg.Testing.Models), which production never references.
/// The checkpoint writers, the synthetic checkpoint maker and the float64 unfused reference are product code in
/// RepVgg.Compiler: `repvgg-compile synthesize` and the Synthesize metadata, `repvgg fuse` and `repvgg verify` run them.
/// </summary>
public class ProductionBoundaryTests
{
    private static readonly Assembly[] Production =
        [typeof(StateDict).Assembly, typeof(WeightsStep).Assembly, typeof(InferenceEngine).Assembly];

    private static readonly string[] TestHelperAssemblies = ["RepVgg.Testing", "RepVgg.Testing.Models"];

    [Fact]
    public void Production_assemblies_are_RepVgg_Checkpoints_Compiler_and_Runtime()
    {
        Assert.Equal(["RepVgg.Checkpoints", "RepVgg.Compiler", "RepVgg.Runtime"], Production.Select(a => a.GetName().Name));
    }

    [Fact]
    public void Production_assemblies_do_not_reference_the_test_helpers()
    {
        foreach (Assembly assembly in Production)
            Assert.DoesNotContain(assembly.GetReferencedAssemblies(), reference => TestHelperAssemblies.Contains(reference.Name));
    }

    [Fact]
    public void Production_assemblies_hold_no_test_helper_type()
    {
        string[] found = Production
            .SelectMany(assembly => assembly.GetTypes())
            .Where(type => type.Namespace?.StartsWith("RepVgg.Testing", StringComparison.Ordinal) == true)
            .Select(type => $"{type.FullName} in {type.Assembly.GetName().Name}")
            .ToArray();
        Assert.True(found.Length == 0, $"Test helper types in production assemblies: {string.Join(", ", found)}; expected them under tests/.");
    }

    [Fact]
    public void The_shipped_writers_synthesis_and_reference_are_in_the_compiler()
    {
        // What the weights step and the repvgg tool run ships with them; a copy moved back to a helpers project fails here.
        Assert.Equal("RepVgg.Compiler", typeof(Writing.PthWriter).Assembly.GetName().Name);
        Assert.Equal("RepVgg.Compiler", typeof(Synthetic.SyntheticCheckpoint).Assembly.GetName().Name);
        Assert.Equal("RepVgg.Compiler", typeof(Reference.UnfusedReference).Assembly.GetName().Name);
    }
}
