using System.Security.Cryptography;
using System.Text.Json;

namespace RepVgg.Integration.Tests;

/// <summary>
/// The weights step runs again exactly when what it compiles changed: the checkpoint's bytes (whatever their time
/// stamp), any metadata, the path the item resolves to or a symbolic link's target (issue #23 found each of these
/// keeping the old network's weights).
/// </summary>
[Collection(ScenarioBuildCollection.Name)]
public sealed class IncrementalByContentTests : IDisposable
{
    private readonly ScenarioProject _project = new();

    public void Dispose() => _project.Dispose();

    [Fact]
    public void Every_route_to_other_weights_compiles_again_and_nothing_else_does()
    {
        string a = _project.File("a.pth"), b = _project.File("b.pth"), model = _project.File("model.pth");
        ScenarioProject.WriteFixture(a);
        ScenarioProject.WriteFixture(b, headScale: 2);
        // Both older than anything a build writes, as a checkout, `cp -p`, `tar` or `rsync -a` leave them.
        DateTime old = DateTime.UtcNow.AddDays(-30);
        File.SetLastWriteTimeUtc(a, old);
        File.SetLastWriteTimeUtc(b, old);
        File.Copy(a, model);
        File.SetLastWriteTimeUtc(model, old);
        _project.WriteProject("""
              <PropertyGroup>
                <ModelFile Condition="'$(ModelFile)' == ''">model.pth</ModelFile>
                <ModelStrides Condition="'$(ModelStrides)' == ''">2,2,2,2,2</ModelStrides>
              </PropertyGroup>
              <ItemGroup>
                <RepVggModel Include="$(ModelFile)" ClassName="Net" InputHeight="32" InputWidth="32" Strides="$(ModelStrides)" />
              </ItemGroup>
            """);

        AssertCompiled(a, "the first build");
        AssertNotCompiled("an unchanged build");

        // Other bytes under the same name, with an older time stamp than the outputs.
        File.Copy(b, model, overwrite: true);
        File.SetLastWriteTimeUtc(model, old);
        AssertCompiled(b, "a checkpoint replaced by an older file");
        AssertNotCompiled("an unchanged build");

        // The item pointed at another file through a property.
        AssertCompiled(a, "the item pointed at a.pth", "-p:ModelFile=a.pth");

        // A symbolic link, then retargeted.
        string link = _project.File("link.pth");
        File.CreateSymbolicLink(link, a);
        AssertCompiled(a, "the item pointed at a link to a.pth", "-p:ModelFile=link.pth");
        File.Delete(link);
        File.CreateSymbolicLink(link, b);
        AssertCompiled(b, "the link retargeted to b.pth", "-p:ModelFile=link.pth");

        // Metadata changed through a property (a comma on the command line is %2C).
        AssertCompiled(b, "Strides changed through a property", "-p:ModelFile=link.pth", "-p:ModelStrides=1%2C2%2C2%2C2%2C2");
        Assert.Equal(1, ManifestLayers()[0].GetProperty("stride").GetInt32());
        AssertNotCompiled("an unchanged build", "-p:ModelFile=link.pth", "-p:ModelStrides=1%2C2%2C2%2C2%2C2");
    }

    private string Manifest => Path.Combine(_project.WeightsStepDirectory, "Net.repvgg.json");

    private void AssertCompiled(string checkpoint, string when, params string[] arguments)
    {
        (int exitCode, string output) = _project.Build(arguments);
        Assert.True(exitCode == 0, $"{when}:\n{output}");
        Assert.True(output.Contains("repvgg-compile: "), $"{when}: the weights step did not run.\n{output}");
        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(Manifest));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(checkpoint))),
            manifest.RootElement.GetProperty("source").GetProperty("sha256").GetString());
    }

    private void AssertNotCompiled(string when, params string[] arguments)
    {
        (int exitCode, string output) = _project.Build(arguments);
        Assert.True(exitCode == 0, $"{when}:\n{output}");
        Assert.False(output.Contains("repvgg-compile: "), $"{when}: the weights step ran again.\n{output}");
    }

    private JsonElement[] ManifestLayers()
    {
        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(Manifest));
        return [.. manifest.RootElement.GetProperty("layers").EnumerateArray().Select(layer => layer.Clone())];
    }
}
