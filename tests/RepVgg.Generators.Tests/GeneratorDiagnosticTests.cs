using Microsoft.CodeAnalysis;
using RepVgg.Manifest;

namespace RepVgg.Generators.Tests;

/// <summary>One test per diagnostic the generator reports: the ID, the file, expected versus found, and no source.</summary>
public sealed class GeneratorDiagnosticTests
{
    [Theory]
    [InlineData("RepVggInputHeight", "abc", "RepVgg model 'TinyNet': InputHeight must be a positive integer; found 'abc'")]
    [InlineData("RepVggInputWidth", "0", "RepVgg model 'TinyNet': InputWidth must be a positive integer; found '0'")]
    [InlineData("RepVggInputWidth", "-32", "RepVgg model 'TinyNet': InputWidth must be a positive integer; found '-32'")]
    [InlineData("RepVggInputHeight", "3.5", "RepVgg model 'TinyNet': InputHeight must be a positive integer; found '3.5'")]
    public void RVG0011_input_size_is_not_a_positive_integer(string metadata, string value, string message)
    {
        ModelItem model = TestModels.TinyFixture.WithMetadata(TestModels.MetadataKey(metadata), value);

        AssertReportedOnly(model, DiagnosticIds.InvalidInputSize, message);
    }

    [Theory]
    [InlineData("32768", "32768")]
    [InlineData("1", "715827883")]           // One float past the limit: 2147483649.
    [InlineData("2147483647", "2147483647")] // Past a long too.
    public void RVG0029_input_image_does_not_fit_in_an_int(string height, string width)
    {
        ModelItem model = TestModels.TinyFixture
            .WithMetadata(TestModels.MetadataKey("RepVggInputHeight"), height)
            .WithMetadata(TestModels.MetadataKey("RepVggInputWidth"), width);

        AssertReportedOnly(model, DiagnosticIds.InputTooLarge,
            $"RepVgg model 'TinyNet': an input image of 3 x {height} x {width} floats (InputChannels x InputHeight x InputWidth) " +
            "does not fit in an int (at most 2147483647 floats); use a smaller InputHeight or InputWidth");
    }

    [Fact]
    public void The_largest_input_image_that_fits_in_an_int_compiles()
    {
        // 3 x 1 x 715827882 = 2147483646 floats.
        ModelItem model = TestModels.TinyFixture
            .WithMetadata(TestModels.MetadataKey("RepVggInputHeight"), "1")
            .WithMetadata(TestModels.MetadataKey("RepVggInputWidth"), "715827882");
        GeneratorDriver driver = GeneratorHarness.CreateDriver([model]);

        driver.RunGeneratorsAndUpdateCompilation(
            GeneratorHarness.CreateCompilation(GeneratorHarness.UnrelatedSource), out Compilation output, out var generatorDiagnostics);

        Assert.Empty(generatorDiagnostics);
        Assert.Equal(2, output.SyntaxTrees.Count());
        Assert.Empty(output.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).Select(diagnostic => diagnostic.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void RVG0033_item_lacks_RepVggResourceName(string value)
    {
        ModelItem model = TestModels.TinyFixture.WithMetadata(TestModels.MetadataKey("RepVggResourceName"), value);

        AssertReportedOnly(model, DiagnosticIds.MissingResourceName,
            $"RepVgg model manifest '{model.Path}': the item lacks RepVggResourceName metadata (the logical name of the embedded weights); " +
            "RepVggModel items get it from the RepVgg targets (build/RepVgg.Model.targets)");
    }

    [Fact]
    public void RVG0014_manifest_is_not_json()
    {
        ModelItem model = TestModels.TinyFixture with { ManifestText = "{\n  \"format\": 1,\n}" };

        AssertReportedOnly(model, DiagnosticIds.ManifestUnreadable,
            $"Cannot read RepVgg model manifest '{model.Path}': At $ (line 3, column 1): expected a property name in double quotes, found '}}'.");
    }

    [Fact]
    public void RVG0014_manifest_lacks_a_field()
    {
        ModelItem model = TestModels.TinyFixture with
        {
            ManifestText = TestModels.TinyFixture.ManifestText.Replace("\"groups\": 2,", ""),
        };

        AssertReportedOnly(model, DiagnosticIds.ManifestUnreadable, "At $.layers[2] (line ");
        AssertReportedOnly(model, DiagnosticIds.ManifestUnreadable, "expected property \"groups\", found only \"name\", \"stage\", \"block\"");
    }

    [Fact]
    public void RVG0014_manifest_has_an_unsupported_format()
    {
        ModelItem model = TestModels.TinyFixture with
        {
            ManifestText = TestModels.TinyFixture.ManifestText.Replace("\"format\": 3,", "\"format\": 2,"),
        };

        AssertReportedOnly(model, DiagnosticIds.ManifestUnreadable, "At $.format (line 2, column 13): expected manifest format 3, found format 2.");
    }

    [Fact]
    public void RVG0014_layer_shapes_do_not_chain()
    {
        ModelManifest manifest = ManifestJson.Parse(TestModels.TinyFixture.ManifestText);
        ManifestLayer stage2 = manifest.Layers[3];
        ModelManifest broken = manifest with
        {
            Layers = new EquatableArray<ManifestLayer>(manifest.Layers.Select(layer => layer == stage2 ? layer with { InChannels = 32 } : layer)),
        };
        ModelItem model = TestModels.TinyFixture with { ManifestText = ManifestJson.Write(broken) };

        AssertReportedOnly(model, DiagnosticIds.ManifestUnreadable,
            "At $.layers[3] (stage2.0): expected 16 input channels (the output of $.layers[2] (stage1.1)), found 32.");
    }

    [Theory]
    [InlineData(3, "winograd-f4x4", "At $.layers[3] (stage2.0): expected algorithm \"direct\", or \"winograd-f2x2\" or \"winograd-f4x4\" at stride 1; found \"winograd-f4x4\" at stride 2.")]
    [InlineData(2, "fft", "At $.layers[2] (stage1.1): expected algorithm \"direct\", or \"winograd-f2x2\" or \"winograd-f4x4\" at stride 1; found \"fft\" at stride 1.")]
    public void RVG0014_layer_names_an_algorithm_it_cannot_run(int index, string algorithm, string message)
    {
        ModelManifest manifest = ManifestJson.Parse(TestModels.TinyFixture.ManifestText);
        ModelManifest broken = manifest with
        {
            Layers = new EquatableArray<ManifestLayer>(manifest.Layers.Select((layer, i) => i == index ? layer with { Algorithm = algorithm } : layer)),
        };
        ModelItem model = TestModels.TinyFixture with { ManifestText = ManifestJson.Write(broken) };

        AssertReportedOnly(model, DiagnosticIds.ManifestUnreadable, message);
    }

    [Fact]
    public void RVG0014_head_does_not_take_the_last_layers_channels()
    {
        ModelManifest manifest = ManifestJson.Parse(TestModels.TinyFixture.ManifestText);
        ModelItem model = TestModels.TinyFixture with
        {
            ManifestText = ManifestJson.Write(manifest with { Head = manifest.Head with { Features = 64 } }),
        };

        AssertReportedOnly(model, DiagnosticIds.ManifestUnreadable,
            "At $.head (linear): expected 256 features (the output of $.layers[7] (stage4.0)), found 64.");
    }

    [Fact]
    public void RVG0014_blocks_are_out_of_order()
    {
        ModelManifest manifest = ManifestJson.Parse(TestModels.TinyFixture.ManifestText);
        ModelItem model = TestModels.TinyFixture with
        {
            ManifestText = ManifestJson.Write(manifest with
            {
                Layers = new EquatableArray<ManifestLayer>(manifest.Layers.Select((layer, i) => i == 2 ? layer with { Block = 2 } : layer)),
            }),
        };

        AssertReportedOnly(model, DiagnosticIds.ManifestUnreadable,
            "At $.layers[2] (stage1.1): expected stage 1 block 1 or block 0 of a later stage, found stage 1 block 2.");
    }

    [Theory]
    [InlineData("RepVggClassName", "my-net", "RepVgg model ClassName 'my-net' cannot be used: expected a C# identifier (a letter or '_', then letters, digits or '_')")]
    [InlineData("RepVggClassName", "class", "RepVgg model ClassName 'class' cannot be used: it is a C# keyword")]
    [InlineData("RepVggClassName", "Network", "RepVgg model ClassName 'Network' cannot be used: the generated class has a member of that name")]
    [InlineData("RepVggClassName", "Stage1Block0", "RepVgg model ClassName 'Stage1Block0' cannot be used: the generated class has a member of that name")]
    [InlineData("RepVggNamespace", "Sample..Models", "RepVgg model Namespace 'Sample..Models' cannot be used: expected C# identifiers separated by '.'; '': expected a C# identifier")]
    [InlineData("RepVggNamespace", "Sample.1Models", "RepVgg model Namespace 'Sample.1Models' cannot be used: expected C# identifiers separated by '.'; '1Models': expected a C# identifier")]
    [InlineData("RepVggNamespace", "Sample.namespace", "RepVgg model Namespace 'Sample.namespace' cannot be used: expected C# identifiers separated by '.'; 'namespace': it is a C# keyword")]
    public void RVG0015_class_name_or_namespace_is_not_a_usable_name(string metadata, string value, string message)
    {
        ModelItem model = TestModels.TinyFixture.WithMetadata(TestModels.MetadataKey(metadata), value);

        AssertReportedOnly(model, DiagnosticIds.InvalidName, message);
    }

    [Fact]
    public void RVG0015_class_name_is_refused_for_every_member_of_the_generated_class()
    {
        GeneratorHarness.CreateDriver([TestModels.TinyFixture]).RunGeneratorsAndUpdateCompilation(
            GeneratorHarness.CreateCompilation(GeneratorHarness.UnrelatedSource), out Compilation output, out _);
        string[] members = output.GetTypeByMetadataName("Fixtures.Models.TinyNet")!.GetMembers()
            .Where(member => member.CanBeReferencedByName)
            .Select(member => member.Name)
            .Distinct()
            .ToArray();

        Assert.Contains("_engine", members);
        Assert.All(members, name => AssertReportedOnly(
            TestModels.TinyFixture.WithMetadata(TestModels.MetadataKey("RepVggClassName"), name),
            DiagnosticIds.InvalidName,
            $"RepVgg model ClassName '{name}' cannot be used: the generated class has a member of that name"));
    }

    [Fact]
    public void Every_problem_with_an_item_is_reported_at_once()
    {
        ModelItem model = TestModels.TinyFixture
            .WithMetadata(TestModels.MetadataKey("RepVggInputHeight"), "tall")
            .WithMetadata(TestModels.MetadataKey("RepVggClassName"), "my-net") with { ManifestText = "[]" };

        GeneratorDriverRunResult result = GeneratorHarness.Run(model);

        Assert.Equal(
            [DiagnosticIds.InvalidInputSize, DiagnosticIds.InvalidName, DiagnosticIds.ManifestUnreadable],
            result.Diagnostics.Select(diagnostic => diagnostic.Id));
        Assert.Empty(result.GeneratedTrees);
    }

    /// <summary>The run reports exactly one diagnostic, an error with this ID at the manifest file, whose message contains <paramref name="message"/>; and generates nothing.</summary>
    private static void AssertReportedOnly(ModelItem model, string id, string message)
    {
        GeneratorDriverRunResult result = GeneratorHarness.Run(model);

        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(model.Path, diagnostic.Location.GetLineSpan().Path);
        Assert.Contains(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(result.GeneratedTrees);
    }
}
