using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace RepVgg.Build.Tasks.Tests;

/// <summary>
/// The check of every RepVggModel item that runs before any of its values names a path (issue #23's hostile
/// project files), the requests the task writes, and when it says the weights step must run again.
/// </summary>
public sealed class PrepareRepVggModelsTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly RecordingBuildEngine _engine = new();

    public void Dispose() => _folder.Dispose();

    private string Intermediate => _folder.File("obj/RepVgg/");

    private string Checkpoint(string name = "model.pth", byte fill = 1)
    {
        string path = _folder.File(name);
        File.WriteAllBytes(path, Enumerable.Repeat(fill, 1000).ToArray());
        return path;
    }

    private static TaskItem Item(string path, params (string Name, string Value)[] metadata)
    {
        var item = new TaskItem(path);
        foreach ((string name, string value) in metadata) item.SetMetadata(name, value);
        return item;
    }

    private PrepareRepVggModels Task(params ITaskItem[] models) => new()
    {
        BuildEngine = _engine,
        Models = models,
        ProjectFile = _folder.File("Scenario.csproj"),
        IntermediateDirectory = Intermediate,
        OutputDirectory = _folder.File("bin/"),
        RootNamespace = "Scenario",
        GeneratedDirectory = _folder.File("obj/generated/"),
        SnapshotDirectory = _folder.File("RepVggSnapshots/"),
    };

    [Theory]
    // The cases issue #23 found, each of which named a path, ran a shell command or reached csc before it was checked.
    [InlineData("ClassName", "X\" ; touch pwned ; echo \"", "RVG0015", "ClassName 'X\" ; touch pwned ; echo \"' cannot be used: expected a C# identifier")]
    [InlineData("ClassName", "Y`touch pwned`", "RVG0015", "ClassName 'Y`touch pwned`' cannot be used: expected a C# identifier")]
    [InlineData("ClassName", "../../../Program.cs\n/some/dir/evil.cs\n/nowarn:1", "RVG0027", "ClassName '../../../Program.cs\\n/some/dir/evil.cs\\n/nowarn:1' holds a control character")]
    [InlineData("ClassName", "../../../model", "RVG0015", "ClassName '../../../model' cannot be used: expected a C# identifier")]
    [InlineData("ClassName", "A;B", "RVG0015", "ClassName 'A;B' cannot be used: expected a C# identifier")]
    [InlineData("ClassName", "class", "RVG0015", "ClassName 'class' cannot be used: it is a C# keyword")]
    [InlineData("ClassName", "Infer", "RVG0015", "ClassName 'Infer' cannot be used: the generated class has a member of that name")]
    [InlineData("Namespace", "My.App\nEvil", "RVG0027", "Namespace 'My.App\\nEvil' holds a control character")]
    [InlineData("Namespace", "My..App", "RVG0015", "Namespace 'My..App' cannot be used: expected C# identifiers separated by '.'; ''")]
    [InlineData("InputHeight", " 64 ", "RVG0011", "InputHeight ' 64 ' is not a positive integer; expected digits only")]
    [InlineData("InputWidth", "0", "RVG0011", "InputWidth '0' is not a positive integer")]
    [InlineData("InputWidth", "+64", "RVG0011", "InputWidth '+64' is not a positive integer")]
    [InlineData("StateDictKey", "state\u001b[31m", "RVG0027", "StateDictKey 'state\\u001b[31m' holds a control character")]
    [InlineData("ExportOnnx", "yes", "RVG0027", "ExportOnnx 'yes' is not a yes or no; expected ExportOnnx=\"true\" or \"false\"")]
    [InlineData("WeightsLayout", "Winograd", "RVG0027", "WeightsLayout 'Winograd' is not a blob layout; expected WeightsLayout=\"Compact\" (the default) or \"Prepacked\"")]
    public void An_invalid_item_is_one_error_naming_the_item_and_the_value_and_nothing_is_written(string metadata, string value, string code, string message)
    {
        string checkpoint = Checkpoint();
        var metadataValues = new List<(string, string)> { ("ClassName", "Net") };
        metadataValues.RemoveAll(m => m.Item1 == metadata);
        metadataValues.Add((metadata, value));
        PrepareRepVggModels task = Task(Item(checkpoint, [.. metadataValues]), Item(Checkpoint("other.pth"), ("ClassName", "Other")));

        Assert.False(task.Execute());

        string error = Assert.Single(_engine.ErrorLines);
        Assert.StartsWith($"{code}: RepVggModel '{checkpoint}': ", error);
        Assert.Contains(message, error);
        Assert.DoesNotContain('\n', error);
        Assert.Equal(_folder.File("Scenario.csproj"), _engine.Errors[0].File);
        Assert.False(Directory.Exists(Intermediate), "Something was written for a project with an invalid item.");
    }

    [Theory]
    [InlineData("a\nb.pth")]
    [InlineData("a\u2028b.pth")]
    public void A_path_with_a_control_character_is_refused(string name)
    {
        PrepareRepVggModels task = Task(Item(_folder.File(name), ("ClassName", "Net")));

        Assert.False(task.Execute());

        Assert.Contains("RVG0027: RepVggModel ", Assert.Single(_engine.ErrorLines));
        Assert.Contains("its path holds a control character", _engine.ErrorLines.Single());
    }

    [Fact]
    public void A_missing_ClassName_and_a_duplicate_one_are_the_targets_errors()
    {
        Assert.False(Task(Item(Checkpoint())).Execute());
        Assert.Equal($"RVG0023: RepVggModel '{_folder.File("model.pth")}' has no ClassName metadata; expected e.g. ClassName=\"RepVggB1\".", Assert.Single(_engine.ErrorLines));

        _engine.Errors.Clear();
        // Names that differ in case would be one file on Windows' and macOS's file systems.
        Assert.False(Task(Item(Checkpoint(), ("ClassName", "Net")), Item(Checkpoint("b.pth"), ("ClassName", "NET"))).Execute());
        Assert.Equal("RVG0024: Two RepVggModel items have the same ClassName (2 items, 1 distinct names: Net, NET); expected one ClassName per model.",
            Assert.Single(_engine.ErrorLines));
    }

    [Fact]
    public void The_project_RootNamespace_is_checked_when_the_item_names_no_Namespace()
    {
        PrepareRepVggModels task = Task(Item(Checkpoint(), ("ClassName", "Net")));
        task.RootNamespace = "1app";

        Assert.False(task.Execute());

        Assert.Contains("RVG0015: ", Assert.Single(_engine.ErrorLines));
        Assert.Contains("the project's RootNamespace '1app' cannot be used", _engine.ErrorLines.Single());
    }

    [Fact]
    public void A_valid_item_gets_its_files_named_by_class_and_a_request_that_holds_hostile_text_as_data()
    {
        string checkpoint = Checkpoint("resnet`touch pwned`\"$(id).pth");
        PrepareRepVggModels task = Task(Item(checkpoint, ("ClassName", "Net"), ("StateDictKey", "`touch pwned`"), ("ExportOnnx", "True")));

        Assert.True(task.Execute(), string.Join("\n", _engine.ErrorLines));

        ITaskItem model = Assert.Single(task.PreparedModels);
        Assert.Equal(Intermediate + "Net.repvgg.json", model.GetMetadata("ManifestPath"));
        Assert.Equal(Intermediate + "Net.weights.bin", model.GetMetadata("BlobPath"));
        Assert.Equal("RepVgg.Scenario.Net.weights.bin", model.GetMetadata("ResourceName"));
        Assert.Equal(_folder.File("bin/Net.onnx"), model.GetMetadata("OnnxPath"));
        Assert.Equal("true", model.GetMetadata("Stale"));
        using var request = System.Text.Json.JsonDocument.Parse(File.ReadAllText(model.GetMetadata("RequestPath")));
        Assert.Equal("compile", request.RootElement.GetProperty("command").GetString());
        Assert.Equal(checkpoint, request.RootElement.GetProperty("checkpoint").GetString());
        Assert.Equal("`touch pwned`", request.RootElement.GetProperty("stateDictKey").GetString());
    }

    [Fact]
    public void The_step_is_stale_until_its_stamp_names_this_request_and_this_checkpoint_content()
    {
        string checkpoint = Checkpoint();
        ITaskItem Prepare(params (string, string)[] metadata)
        {
            PrepareRepVggModels task = Task(Item(checkpoint, [("ClassName", "Net"), .. metadata]));
            Assert.True(task.Execute(), string.Join("\n", _engine.ErrorLines));
            return task.PreparedModels.Single();
        }

        ITaskItem first = Prepare();
        Assert.Equal("true", first.GetMetadata("Stale"));
        // What the step does once it has compiled: its outputs, then the stamp (the request's and the checkpoint's SHA-256).
        File.WriteAllText(first.GetMetadata("ManifestPath"), "{}");
        File.WriteAllText(first.GetMetadata("BlobPath"), "");
        WriteStamp(first, checkpoint);
        DateTime requestWritten = File.GetLastWriteTimeUtc(first.GetMetadata("RequestPath"));
        Assert.Equal("false", Prepare().GetMetadata("Stale"));
        Assert.Equal(requestWritten, File.GetLastWriteTimeUtc(first.GetMetadata("RequestPath")));

        // The same size, the same modification time, other bytes: content, not time, decides.
        DateTime modified = File.GetLastWriteTimeUtc(checkpoint);
        File.WriteAllBytes(checkpoint, Enumerable.Repeat((byte)2, 1000).ToArray());
        File.SetLastWriteTimeUtc(checkpoint, modified);
        Assert.Equal("true", Prepare().GetMetadata("Stale"));
        WriteStamp(first, checkpoint);
        Assert.Equal("false", Prepare().GetMetadata("Stale"));

        // Any metadata, and a missing output.
        Assert.Equal("true", Prepare(("Strides", "1,2,2,2,2")).GetMetadata("Stale"));
        Assert.Equal("false", Prepare().GetMetadata("Stale"));
        File.Delete(first.GetMetadata("BlobPath"));
        Assert.Equal("true", Prepare().GetMetadata("Stale"));
    }

    [Fact]
    public void A_design_time_build_names_the_files_but_reads_and_writes_nothing()
    {
        PrepareRepVggModels task = Task(Item(Checkpoint(), ("ClassName", "Net"), ("Snapshot", "true")));
        task.DesignTimeBuild = true;

        Assert.True(task.Execute());

        ITaskItem model = Assert.Single(task.PreparedModels);
        Assert.Equal("false", model.GetMetadata("Stale"));
        Assert.Equal(_folder.File("obj/generated/Scenario.Net.g.cs"), model.GetMetadata("GeneratedPath"));
        Assert.False(Directory.Exists(Intermediate));
    }

    private static void WriteStamp(ITaskItem model, string checkpoint)
    {
        static string Sha256(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        File.WriteAllText(model.GetMetadata("CompiledStampPath"),
            $"{Sha256(File.ReadAllBytes(model.GetMetadata("RequestPath")))} {Sha256(File.ReadAllBytes(checkpoint))}\n");
    }
}
