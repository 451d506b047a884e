using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace RepVgg.Build.Tasks.Tests;

/// <summary>
/// The check before csc of what a project's models embed (issue #25: eight models embedding 2.1 GB crashed the C#
/// compiler), at small limits rather than with gigabytes of data.
/// </summary>
public sealed class CheckEmbeddedWeightsTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly RecordingBuildEngine _engine = new();

    public void Dispose() => _folder.Dispose();

    private TaskItem Model(string className, int bytes, string embed = "")
    {
        string blob = _folder.File($"{className}.weights.bin");
        File.WriteAllBytes(blob, new byte[bytes]);
        var item = new TaskItem(_folder.File($"{className}.pth"));
        item.SetMetadata("ClassName", className);
        item.SetMetadata("BlobPath", blob);
        if (embed.Length > 0) item.SetMetadata("Embed", embed);
        return item;
    }

    private CheckEmbeddedWeights Task(string limit, params ITaskItem[] models) => new()
    {
        BuildEngine = _engine,
        Models = models,
        ProjectFile = _folder.File("Scenario.csproj"),
        LimitBytes = limit,
    };

    [Fact]
    public void Models_past_the_limit_fail_naming_each_model_and_its_size_largest_first()
    {
        CheckEmbeddedWeights task = Task("3000000", Model("Small", 1_000_000), Model("Large", 2_500_000));

        Assert.False(task.Execute());

        string error = Assert.Single(_engine.ErrorLines);
        Assert.StartsWith("RVG0034: The project's RepVggModel items would embed 3.5 MB of weights in its assembly (Large 2.5 MB, Small 1.0 MB); at most 3.0 MB fits safely", error);
        Assert.Contains("Add Embed=\"false\" to the largest items", error);
        Assert.Equal(_folder.File("Scenario.csproj"), _engine.Errors[0].File);
    }

    [Theory]
    [InlineData("false")]
    [InlineData("False")]
    public void A_model_with_Embed_false_does_not_count(string embed)
    {
        CheckEmbeddedWeights task = Task("3000000", Model("Small", 1_000_000), Model("Large", 2_500_000, embed));

        Assert.True(task.Execute());
        Assert.Empty(_engine.ErrorLines);
    }

    [Fact]
    public void Up_to_the_limit_passes_and_the_default_is_one_gibibyte()
    {
        Assert.True(Task("3500000", Model("Small", 1_000_000), Model("Large", 2_500_000)).Execute());
        Assert.True(Task("", Model("Small", 1_000_000)).Execute());
        Assert.Equal(1L << 30, CheckEmbeddedWeights.DefaultLimitBytes);
        Assert.Empty(_engine.ErrorLines);
    }

    [Fact]
    public void A_limit_that_is_not_a_positive_number_is_RVG0027()
    {
        Assert.False(Task("1GB", Model("Small", 10)).Execute());

        string error = Assert.Single(_engine.ErrorLines);
        Assert.Equal("RVG0027: RepVggEmbeddedWeightsLimit is '1GB'; expected a positive number of bytes.", error);
    }
}
