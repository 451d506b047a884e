using System.Text.Json;
using System.Text.RegularExpressions;
using RepVgg.Checkpoints;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Synthetic;

namespace RepVgg.Cli.Tests;

public class InspectCommandTests
{
    private static readonly string Fixture = PyTorchFixtures.OfficialPth;

    /// <summary>
    /// The fixture's conv layers from its tensors alone, counted here without the compiler: each block's
    /// <c>rbr_dense.conv.weight</c> (Out, In / Groups, 3, 3) in stage and block order; the stem and each stage's
    /// first block have stride 2 (RepVGG's), padding 1.
    /// </summary>
    private static (List<(string Name, int In, int Out, long Flops)> Layers, long Flops) IndependentCount(string path, int height, int width)
    {
        StateDict tensors = CheckpointReader.Read(path);
        var blocks = tensors.Keys
            .Select(k => Regex.Match(k, @"^stage(\d+)(?:\.(\d+))?\.rbr_dense\.conv\.weight$"))
            .Where(m => m.Success)
            .Select(m => (Stage: int.Parse(m.Groups[1].Value), Index: m.Groups[2].Success ? int.Parse(m.Groups[2].Value) : 0, Key: m.Value))
            .OrderBy(b => b.Stage).ThenBy(b => b.Index)
            .ToList();
        var layers = new List<(string, int, int, long)>();
        int inChannels = 3;
        foreach (var (stage, index, key) in blocks)
        {
            int[] shape = tensors[key].Shape;
            int stride = index == 0 ? 2 : 1;
            height = (height + 2 - 3) / stride + 1;
            width = (width + 2 - 3) / stride + 1;
            layers.Add((key[..key.IndexOf(".rbr_dense", StringComparison.Ordinal)], inChannels, shape[0], 2L * shape[0] * shape[1] * 9 * height * width));
            inChannels = shape[0];
        }
        int[] head = tensors["linear.weight"].Shape;
        return (layers, layers.Sum(l => l.Item4) + 2L * head[0] * head[1]);
    }

    [Fact]
    public void Json_gives_the_fixture_layers_and_an_independently_counted_GFLOPs()
    {
        ToolRun run = ToolRun.Of("inspect", Fixture, "--input-height", "64", "--input-width", "48", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());

        using JsonDocument json = JsonDocument.Parse(run.Output);
        JsonElement root = json.RootElement;
        var (expectedLayers, expectedFlops) = IndependentCount(Fixture, 64, 48);
        JsonElement[] layers = [.. root.GetProperty("layers").EnumerateArray()];
        Assert.Equal(8, layers.Length);
        Assert.Equal(expectedLayers.Count, layers.Length);
        Assert.Equal([16, 16, 16, 32, 32, 64, 64, 256], layers.Select(l => l.GetProperty("outChannels").GetInt32()));
        for (int i = 0; i < layers.Length; i++)
        {
            Assert.Equal(expectedLayers[i].Name, layers[i].GetProperty("name").GetString());
            Assert.Equal(expectedLayers[i].In, layers[i].GetProperty("inChannels").GetInt32());
            Assert.Equal(expectedLayers[i].Flops, layers[i].GetProperty("flops").GetInt64());
        }
        Assert.Equal(expectedFlops, root.GetProperty("flops").GetInt64());
        Assert.Equal(expectedFlops / 1e9, root.GetProperty("gFlops").GetDouble());
        Assert.Equal("official", root.GetProperty("naming").GetString());
        Assert.Equal("training", root.GetProperty("kind").GetString());
        Assert.Equal("custom", root.GetProperty("variant").GetString());
        Assert.Equal(10, root.GetProperty("head").GetProperty("classes").GetInt32());
        Assert.Contains(root.GetProperty("elementTypes").EnumerateArray(), e => e.GetProperty("name").GetString() == "float32");
        // Grouped blocks (stage1.1 and stage2.1 have 2 groups) and the identity branch where shapes allow it.
        Assert.Equal(2, layers[2].GetProperty("groups").GetInt32());
        Assert.Equal(["3x3", "1x1", "identity"], layers[2].GetProperty("branches").EnumerateArray().Select(b => b.GetString()));
        Assert.Equal(["3x3", "1x1"], layers[0].GetProperty("branches").EnumerateArray().Select(b => b.GetString()));
    }

    [Fact]
    public void The_table_has_one_row_per_layer_and_the_summary()
    {
        ToolRun run = ToolRun.Of("inspect", Fixture);
        Assert.True(run.ExitCode == 0, run.ToString());
        string[] lines = run.Output.Split('\n');
        Assert.Equal(8, lines.Count(l => Regex.IsMatch(l, @"^\s+\d+\s+\d+\s+stage\d")));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"stage4\.0\s+64 -> 256\s+2\s+1\s+3x3 \+ 1x1\s"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^\s*head\s+linear\s+256 -> 10\s"));
        long flops = IndependentCount(Fixture, 224, 224).Flops;
        Assert.Contains($"GFLOPs:        {flops / 1e9:F4} ", run.Output);
        Assert.Contains("naming:        official", run.Output);
        // The fixture is a custom network, inspected without strides or an input size: RepVGG's were assumed.
        Assert.Contains("diagnostics:   1, below", run.Output);
        Assert.Contains($"{Fixture} : warning RVG0028: ", run.Output);
    }

    [Fact]
    public void A_broken_file_gives_exit_code_1_and_the_diagnostic()
    {
        using var folder = new TemporaryFolder();
        string broken = folder.File("broken.pth");
        File.WriteAllBytes(broken, [.. File.ReadAllBytes(Fixture).Take(1000)]); // a truncated zip

        ToolRun run = ToolRun.Of("inspect", broken, "--json");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Matches(@$"^{Regex.Escape(broken)} : error RVG0002: ", run.Output);

        ToolRun missing = ToolRun.Of("inspect", folder.File("missing.pth"));
        Assert.True(missing.ExitCode == 1, missing.ToString());
        Assert.Contains(": error RVG0001: ", missing.Output);
    }

    [Fact]
    public void Wrong_strides_are_the_builds_diagnostic()
    {
        ToolRun run = ToolRun.Of("inspect", Fixture, "--strides", "2,two");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains(": error RVG0016: ", run.Output);
    }

    [Fact]
    public void Warnings_are_listed()
    {
        // The wrapped fixture is a training script's dict: the table and the JSON carry the same diagnostics, if any.
        ToolRun table = ToolRun.Of("inspect", PyTorchFixtures.WrappedPth), json = ToolRun.Of("inspect", PyTorchFixtures.WrappedPth, "--json");
        Assert.True(table.ExitCode == 0 && json.ExitCode == 0, table + "\n" + json);
        using JsonDocument doc = JsonDocument.Parse(json.Output);
        foreach (JsonElement d in doc.RootElement.GetProperty("diagnostics").EnumerateArray())
            Assert.Contains(d.GetProperty("line").GetString()!, table.Output);
    }

    [Theory]
    [InlineData("inspect")]                                   // no checkpoint
    [InlineData("inspect", "a.pth", "--no-such-option")]
    [InlineData("inspect", "a.pth", "--input-height", "0")]
    [InlineData("inspect", "a.pth", "--input-width", "wide")]
    [InlineData("fuse", "a.pth")]                             // no -o
    [InlineData("fuse", "a.pth", "-o", "deploy.onnx")]
    [InlineData("fuse", "a.pth", "-o", "deploy.pth", "--naming", "keras")]
    [InlineData("frobnicate")]
    public void A_command_line_it_does_not_understand_gives_exit_code_2(params string[] args)
    {
        ToolRun run = ToolRun.Of(args);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Empty(run.Output);                   // no checkpoint was read, and the help is not a result
        Assert.Contains("Usage:", run.Error);       // what it did not understand, and the help
    }

    [Fact]
    public void Without_arguments_the_help_goes_to_standard_error_with_exit_code_2()
    {
        ToolRun run = ToolRun.Of();
        Assert.True(run.ExitCode == RepVggCommandLine.UsageError, run.ToString());
        Assert.Empty(run.Output);
        Assert.Contains("Required command was not provided.", run.Error);
        Assert.Contains("2  a command line it does not understand", run.Error);
    }

    [Fact]
    public void The_exit_codes_are_in_the_root_help_once_and_each_command_points_to_it()
    {
        ToolRun root = ToolRun.Of("--help");
        Assert.True(root.ExitCode == 0, root.ToString());
        Assert.Single(Regex.Matches(root.Output, "2  a command line it does not understand"));
        foreach (string command in new[] { "inspect", "fuse", "export-onnx", "compile", "verify" })
        {
            ToolRun run = ToolRun.Of(command, "--help");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("Exit codes: see repvgg --help.", run.Output);
            Assert.DoesNotContain("2  a command line it does not understand", run.Output);
        }
    }

    [Fact]
    public void A_one_channel_checkpoint_has_1_input_channel()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("gray.pth");
        BlockShape[] shapes = [new(0, 0, 1, 8, 2, 1), new(1, 0, 8, 16, 2, 1)];
        SyntheticCheckpoint.Write(path, SyntheticNetwork.Create(shapes, classes: 1, seed: 5, calibration: null), deploy: true);

        ToolRun run = ToolRun.Of("inspect", path, "--strides", "2,2", "--input-height", "28", "--input-width", "28");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("2 fused conv3x3 layers in 2 stages (the stem is stage 0), 1 input channel, 1 class\n", run.Output.ReplaceLineEndings("\n"));
        Assert.Contains("float32 (6 tensors)", run.Output);
    }

    [Fact]
    public void A_RepVGGplus_checkpoint_shows_each_layers_squeeze_excitation_counts_its_parameters_and_names_the_auxiliary_heads()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("plus.pth");
        // RepVGGplus's layout (stage 3 split in halves of one block) with a unit after each ReLU, a quarter of the channels.
        var plus = new RepVggVariant("plus", 16, [1, 1, 2, 1], [16, 32, 32, 64], 1, Classes: 10, Squeeze: (SqueezePlacement.AfterRelu, 4));
        SyntheticCheckpoint.Write(path, SyntheticNetwork.Create(plus, seed: 5, calibration: null, KeyLayout.RepVggPlus(new Dictionary<int, int> { [3] = 1 })), deploy: false);

        ToolRun table = ToolRun.Of("inspect", path, "--strides", "2,2,2,2,2", "--input-height", "32", "--input-width", "32");
        ToolRun json = ToolRun.Of("inspect", path, "--strides", "2,2,2,2,2", "--input-height", "32", "--input-width", "32", "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Matches(@"stage3_second\.blocks\.0\s+32 -> 32\s+1\s+1\s+3x3 \+ 1x1 \+ identity\s+32 -> 8, after relu", table.Output);
        Assert.Contains("naming:", table.Output);
        Assert.Contains("repvggplus", table.Output);
        Assert.Contains("RVG0036", table.Output);
        using JsonDocument document = JsonDocument.Parse(json.Output);
        JsonElement root = document.RootElement;
        JsonElement stem = root.GetProperty("layers")[0];
        Assert.Equal(("after-relu", 4), (stem.GetProperty("squeeze").GetProperty("placement").GetString(), stem.GetProperty("squeeze").GetProperty("internalChannels").GetInt32()));
        // PyTorch's count of the deploy model, by hand from the shapes: per block the fused conv with its bias and the unit's two
        // 1x1 convs with theirs (C -> C/4 -> C), then the classifier.
        long[] outs = [16, 16, 32, 32, 32, 64], ins = [3, 16, 16, 32, 32, 32];
        long expected = Enumerable.Range(0, 6).Sum(i => outs[i] * ins[i] * 9 + outs[i] + 2 * outs[i] * (outs[i] / 4) + outs[i] / 4 + outs[i]) + 64 * 10 + 10;
        Assert.Equal(expected, root.GetProperty("fusedParameters").GetInt64());
    }
}
