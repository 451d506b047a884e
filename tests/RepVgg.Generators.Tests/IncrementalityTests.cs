using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace RepVgg.Generators.Tests;

/// <summary>An edit that does not touch a model reuses every cached step; an edit to a model does not.</summary>
public sealed class IncrementalityTests
{
    private static readonly string[] s_steps =
    [
        RepVggGenerator.StepNames.Requests, RepVggGenerator.StepNames.Results,
        RepVggGenerator.StepNames.Networks, RepVggGenerator.StepNames.Diagnostics,
    ];

    [Fact]
    public void Editing_an_unrelated_file_reuses_every_step_and_output()
    {
        ModelItem broken = TestModels.RepVggB1g4.WithMetadata(TestModels.MetadataKey("RepVggInputHeight"), "tall");
        ModelItem[] models = [TestModels.TinyFixture, TestModels.RepVggA0, broken];
        Compilation compilation = GeneratorHarness.CreateCompilation(GeneratorHarness.UnrelatedSource);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(models, TestModels.RootNamespace, trackSteps: true).RunGenerators(compilation);

        SyntaxTree unrelated = compilation.SyntaxTrees.Single();
        Compilation edited = compilation.ReplaceSyntaxTree(
            unrelated, CSharpSyntaxTree.ParseText(GeneratorHarness.UnrelatedSource.Replace("42", "43"), GeneratorHarness.ParseOptions));
        GeneratorRunResult run = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.Equal(2, run.GeneratedSources.Length);
        Assert.Single(run.Diagnostics);
        AssertAllReused(run);
    }

    [Fact]
    public void Changing_a_models_metadata_regenerates_that_model_only()
    {
        ModelItem[] models = [TestModels.TinyFixture, TestModels.RepVggA0];
        Compilation compilation = GeneratorHarness.CreateCompilation(GeneratorHarness.UnrelatedSource);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(models, TestModels.RootNamespace, trackSteps: true).RunGenerators(compilation);

        ModelItem[] changed = [TestModels.TinyFixture.WithMetadata(TestModels.MetadataKey("RepVggInputHeight"), "64"), TestModels.RepVggA0];
        GeneratorRunResult run = driver
            .WithUpdatedAnalyzerConfigOptions(GeneratorHarness.Options(changed, TestModels.RootNamespace))
            .RunGenerators(compilation).GetRunResult().Results.Single();

        var networks = run.TrackedSteps[RepVggGenerator.StepNames.Networks].SelectMany(step => step.Outputs).ToArray();
        Assert.Equal(2, networks.Length);
        Assert.Equal(IncrementalStepRunReason.Modified, Assert.Single(networks, output => output.Value is NetworkSpec { ClassName: "TinyNet" }).Reason);
        Assert.True(
            Assert.Single(networks, output => output.Value is NetworkSpec { ClassName: "RepVggA0" }).Reason
                is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        Assert.Contains(
            run.TrackedOutputSteps.SelectMany(output => output.Value).SelectMany(step => step.Outputs),
            output => output.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void Moving_a_manifest_does_not_regenerate_its_source()
    {
        ModelItem model = TestModels.TinyFixture;
        ModelItem moved = model with { Path = "/repo/sample/obj/moved/TinyNet.manifest.json" };
        var text = new InMemoryAdditionalText(model.Path, model.ManifestText);
        Compilation compilation = GeneratorHarness.CreateCompilation(GeneratorHarness.UnrelatedSource);
        GeneratorDriver driver = GeneratorHarness.CreateDriver([], trackSteps: true)
            .AddAdditionalTexts([text])
            .WithUpdatedAnalyzerConfigOptions(GeneratorHarness.Options([model]))
            .RunGenerators(compilation);

        GeneratorRunResult run = driver
            .ReplaceAdditionalText(text, new InMemoryAdditionalText(moved.Path, moved.ManifestText))
            .WithUpdatedAnalyzerConfigOptions(GeneratorHarness.Options([moved]))
            .RunGenerators(compilation).GetRunResult().Results.Single();

        Assert.Equal(
            IncrementalStepRunReason.Modified,
            Assert.Single(run.TrackedSteps[RepVggGenerator.StepNames.Requests].SelectMany(step => step.Outputs)).Reason);
        Assert.True(
            Assert.Single(run.TrackedSteps[RepVggGenerator.StepNames.Networks].SelectMany(step => step.Outputs)).Reason
                is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        Assert.True(
            Assert.Single(run.TrackedOutputSteps["SourceOutput"].SelectMany(step => step.Outputs)).Reason
                is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
    }

    private static void AssertAllReused(GeneratorRunResult run)
    {
        Assert.All(s_steps, name => Assert.True(run.TrackedSteps.ContainsKey(name), $"Step {name} was not tracked."));
        var steps = s_steps
            .SelectMany(name => run.TrackedSteps[name].SelectMany(step => step.Outputs).Select(output => (Step: name, output.Reason)))
            .Concat(run.TrackedOutputSteps.SelectMany(output =>
                output.Value.SelectMany(step => step.Outputs).Select(stepOutput => (Step: output.Key, stepOutput.Reason))))
            .ToArray();

        Assert.All(s_steps, name => Assert.Contains(steps, step => step.Step == name));
        Assert.Contains(steps, step => step.Step == "SourceOutput");
        Assert.All(steps, step => Assert.True(
            step.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"Step {step.Step} ran again ({step.Reason})."));
    }
}
