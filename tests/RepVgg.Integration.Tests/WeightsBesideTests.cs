using System.Runtime.InteropServices;

namespace RepVgg.Integration.Tests;

/// <summary>
/// What a project embeds must fit an assembly (issue #25: eight models embedding 2.1 GB crashed the C# compiler):
/// past the limit the build fails naming the models (RVG0034), and <c>Embed="false"</c> puts a model's weights beside
/// the assembly instead, copied on build and publish, where the generated class maps them and checks them.
/// </summary>
[Collection(DotnetBuildCollection.Name)]
public sealed class WeightsBesideTests : IDisposable
{
    private const string WeightsFile = "RepVgg.Scenario.ScenarioNet.weights.bin";
    private readonly ScenarioProject _project = new();

    public void Dispose() => _project.Dispose();

    private void WriteProject(string embed) =>
        _project.WriteProject($"""
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <RepVggEmbeddedWeightsLimit>500000</RepVggEmbeddedWeightsLimit>
              </PropertyGroup>
              <ItemGroup>
                <RepVggModel Include="{PyTorchFixtures.OfficialPth}" ClassName="ScenarioNet" InputHeight="64" InputWidth="64" Strides="2,2,2,2,2" {embed} />
              </ItemGroup>
            """);

    [Fact]
    public void Past_the_embedding_limit_the_build_fails_and_with_Embed_false_the_weights_go_beside_the_assembly()
    {
        // Reads N x 3 x 64 x 64 float32 images from the first argument, writes N x 10 float32 logits to the second.
        File.WriteAllText(_project.File("Program.cs"), """
            using System.Runtime.InteropServices;
            float[] images = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(args[0])).ToArray();
            float[] logits = new float[images.Length / (Scenario.ScenarioNet.InputChannels * Scenario.ScenarioNet.InputHeight * Scenario.ScenarioNet.InputWidth) * Scenario.ScenarioNet.ClassCount];
            using (var net = Scenario.ScenarioNet.Create(RepVgg.Backend.Cpu)) net.Infer(images, logits);
            File.WriteAllBytes(args[1], MemoryMarshal.AsBytes(logits.AsSpan()).ToArray());
            """);

        // The fixture's blob is 0.88 MB: past this project's 0.5 MB limit when embedded.
        WriteProject(embed: "");
        (int refused, string refusedOutput) = _project.Build();
        Assert.True(refused != 0, refusedOutput);
        Assert.Contains("error RVG0034: The project's RepVggModel items would embed 0.9 MB of weights in its assembly (ScenarioNet 0.9 MB); at most 0.5 MB fits safely", refusedOutput);

        WriteProject(embed: "Embed=\"false\"");
        (int built, string buildOutput) = _project.Build();
        Assert.True(built == 0, buildOutput);
        string output = Path.Combine(_project.Directory, "bin", ScenarioProject.Configuration, "net10.0");
        string beside = Path.Combine(output, WeightsFile);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_project.WeightsStepDirectory, "ScenarioNet.weights.bin")), File.ReadAllBytes(beside));
        Assert.True(new FileInfo(Path.Combine(output, "Scenario.dll")).Length < new FileInfo(beside).Length / 4, "The weights were embedded as well.");

        // The same logits as the class this test project embeds from the same checkpoint.
        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput("x64");
        string images = _project.File("images.f32"), logitsFile = _project.File("logits.f32");
        File.WriteAllBytes(images, MemoryMarshal.AsBytes(input.Images.AsSpan()).ToArray());
        (int ran, string runOutput) = DotnetCli.Run(_project.Directory, Path.Combine(output, "Scenario.dll"), images, logitsFile);
        Assert.True(ran == 0, runOutput);
        var embedded = new float[input.Batch * TinyOfficial.ClassCount];
        using (var net = TinyOfficial.Create(Backend.Cpu)) net.Infer(input.Images, embedded);
        Assert.Equal(embedded, MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(logitsFile)).ToArray());

        // Published, the file goes with the application.
        (int published, string publishOutput) = DotnetCli.Run(_project.Directory, "publish", "-c", ScenarioProject.Configuration, "-nodeReuse:false", "-o", _project.File("published"));
        Assert.True(published == 0, publishOutput);
        Assert.True(File.Exists(_project.File(Path.Combine("published", WeightsFile))), publishOutput);

        // Without the file, the first Create says which file and what it expected.
        File.Delete(beside);
        (int missing, string missingOutput) = DotnetCli.Run(_project.Directory, Path.Combine(output, "Scenario.dll"), images, logitsFile);
        Assert.True(missing != 0, missingOutput);
        Assert.Contains($"The model's weights file '{beside}' is missing; expected 880320 bytes with SHA-256 ", missingOutput);
    }
}
