using RepVgg.Manifest;

namespace RepVgg.Generators.Tests;

/// <summary>The manifest's JSON form: one fixed layout out, any well-formed JSON in, and errors that say where and what.</summary>
public sealed class ManifestJsonTests
{
    private static readonly ModelManifest s_oneLayer = new(
        ModelManifest.CurrentFormat,
        new ManifestSource("net.pth", "ab12", "official", "training"),
        "custom",
        3,
        new ManifestBlob(500, "cd34", "cpu-v2"),
        new EquatableArray<ManifestLayer>([new ManifestLayer("stage0", 0, 0, 3, 8, 2, 1, new EquatableArray<string>(["3x3", "1x1"]), "direct", 0, 216)]),
        new ManifestHead("linear", 8, 2, 232, 248));

    private const string OneLayerJson = """
        {
          "format": 3,
          "source": {
            "file": "net.pth",
            "sha256": "ab12",
            "keyLayout": "official",
            "kind": "training"
          },
          "variant": "custom",
          "inputChannels": 3,
          "blob": {
            "floats": 500,
            "sha256": "cd34",
            "layout": "cpu-v2"
          },
          "layers": [
            {
              "name": "stage0",
              "stage": 0,
              "block": 0,
              "inChannels": 3,
              "outChannels": 8,
              "stride": 2,
              "groups": 1,
              "branches": ["3x3", "1x1"],
              "algorithm": "direct",
              "weightOffset": 0,
              "biasOffset": 216
            }
          ],
          "head": {
            "name": "linear",
            "features": 8,
            "classes": 2,
            "weightOffset": 232,
            "biasOffset": 248
          }
        }

        """;

    [Fact]
    public void Write_gives_indented_camel_case_json_in_record_order()
    {
        Assert.Equal(OneLayerJson.ReplaceLineEndings("\n"), ManifestJson.Write(s_oneLayer));
    }

    [Theory]
    [MemberData(nameof(TestModels.All), MemberType = typeof(TestModels))]
    public void Parse_reads_back_what_Write_wrote(string model)
    {
        string json = TestModels.Named(model).ManifestText;

        ModelManifest manifest = ManifestJson.Parse(json);

        Assert.Equal(json, ManifestJson.Write(manifest));
    }

    [Fact]
    public void A_layers_squeeze_and_excitation_is_written_and_read_back_and_absent_where_it_has_none()
    {
        var squeeze = new ManifestSqueeze(ManifestSqueezePlacements.BeforeRelu, 2, 256, 272, 288, 304);
        ModelManifest squeezed = s_oneLayer with { Layers = new EquatableArray<ManifestLayer>([s_oneLayer.Layers[0] with { Squeeze = squeeze }]) };

        string json = ManifestJson.Write(squeezed);

        Assert.Contains("\"squeeze\": {\n        \"placement\": \"before-relu\",\n        \"internalChannels\": 2,", json);
        Assert.Equal(squeezed, ManifestJson.Parse(json));
        Assert.DoesNotContain("squeeze", ManifestJson.Write(s_oneLayer));
    }

    [Fact]
    public void Write_then_Parse_gives_an_equal_manifest()
    {
        ModelManifest tricky = s_oneLayer with { Variant = "quote \" backslash \\ tab \t unicode \u00e9 nul \u0000" };

        Assert.Equal(tricky, ManifestJson.Parse(ManifestJson.Write(tricky)));
    }

    [Fact]
    public void Parse_accepts_any_layout_order_escapes_and_unknown_properties()
    {
        string json = """
            {"head":{"biasOffset":248,"weightOffset":232,"classes":2,"features":8,"name":"linear"},"comment":[null,true,false,1.5e3,{}],
             "layers":[{"biasOffset":216,"weightOffset":0,"branches":["3x3","\u0031x1"],"algorithm":"direct","groups":1,"stride":2,"outChannels":8,
             "inChannels":3,"block":0,"stage":0,"name":"stage0"}],"blob":{"layout":"cpu-v2","sha256":"cd34","floats":500},
             "inputChannels":3,"variant":"custom","source":{"kind":"training","keyLayout":"official","sha256":"ab12","file":"net\/.pth"},"format":3}
            """;

        ModelManifest manifest = ManifestJson.Parse(json);

        Assert.Equal(s_oneLayer with { Source = s_oneLayer.Source with { File = "net/.pth" } }, manifest);
    }

    [Theory]
    [InlineData("", "At $ (line 1, column 1): expected a value, found the end of the text.")]
    [InlineData("{\"format\": 1,}", "At $ (line 1, column 14): expected a property name in double quotes, found '}'.")]
    [InlineData("{\"format\": 1} x", "At $ (line 1, column 15): expected the end of the document, found 'x'.")]
    [InlineData("{\"format\": 1 \"source\": {}}", "At $ (line 1, column 14): expected ',' or '}', found '\"'.")]
    [InlineData("{\n  \"variant\": \"A0\n\"}", "At $.variant (line 2, column 17): expected a character or a closing '\"', found control character U+000A.")]
    [InlineData("{\"variant\": \"\\x\"}", "At $.variant (line 1, column 15): expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX), found 'x'.")]
    [InlineData("{\"format\": 01}", "At $ (line 1, column 13): expected ',' or '}', found '1'.")]
    [InlineData("{\"format\": -}", "At $.format (line 1, column 13): expected a digit, found '}'.")]
    [InlineData("{\"format\": tru}", "At $.format (line 1, column 12): expected a value, found 't'.")]
    [InlineData("{\"format\": 1, \"format\": 1}", "At $ (line 1, column 15): expected each property once, found \"format\" again.")]
    public void Parse_rejects_malformed_json_saying_where(string json, string message)
    {
        FormatException error = Assert.Throws<FormatException>(() => ManifestJson.Parse(json));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Parse_rejects_deep_nesting()
    {
        string json = "{\"format\": " + new string('[', 100) + new string(']', 100) + "}";

        FormatException error = Assert.Throws<FormatException>(() => ManifestJson.Parse(json));

        Assert.Contains("expected at most 32 levels of nesting", error.Message);
    }

    [Theory]
    [InlineData("[]", "At $ (line 1, column 1): expected an object, found an array.")]
    [InlineData("{}", "At $ (line 1, column 1): expected property \"format\", found an empty object.")]
    [InlineData("{\"format\": \"1\"}", "At $.format (line 1, column 12): expected an integer, found the string \"1\".")]
    [InlineData("{\"format\": 1.0}", "At $.format (line 1, column 12): expected an integer, found the number 1.0.")]
    [InlineData("{\"format\": 3000000000}", "At $.format (line 1, column 12): expected an integer from -2147483648 to 2147483647, found the number 3000000000.")]
    [InlineData("{\"format\": 1}", "At $.format (line 1, column 12): expected manifest format 3, found format 1.")]
    [InlineData("{\"format\": 3}", "At $ (line 1, column 1): expected property \"source\", found only \"format\".")]
    public void Parse_rejects_wrong_shapes_saying_what_was_expected_and_found(string json, string message)
    {
        FormatException error = Assert.Throws<FormatException>(() => ManifestJson.Parse(json));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Parse_names_the_path_line_and_column_of_a_nested_wrong_type()
    {
        string json = ManifestJson.Write(s_oneLayer).Replace("\"branches\": [\"3x3\", \"1x1\"]", "\"branches\": [\"3x3\", 11]");

        FormatException error = Assert.Throws<FormatException>(() => ManifestJson.Parse(json));

        Assert.Equal("At $.layers[0].branches[1] (line 25, column 27): expected a string, found the number 11.", error.Message);
    }
}
