using System.Runtime.InteropServices;
using RepVgg.Compiler.Tests.PyTorch;

namespace RepVgg.Integration.Tests;

/// <summary>
/// The packages as a user gets them, by the README's own commands ("Add a model to your project"): packed into a
/// folder feed, then projects created outside the repository (so none of its Directory.Build files apply) that
/// reference the RepVgg package, and the repvgg tool installed from the same feed. Each runs with a home folder of
/// its own, whose NuGet configuration has only the feed and this machine's NuGet cache as sources (nothing is
/// downloaded), and restores into a package folder of its own (no earlier run's RepVgg 0.1.0 is ever reused).
/// </summary>
[Collection(DotnetBuildCollection.Name)]
public sealed class PackageTests(PackageTests.LocalFeed feed) : IClassFixture<PackageTests.LocalFeed>
{
    [Fact]
    public void A_project_outside_the_repository_builds_from_the_package_and_gives_the_in_repository_logits()
    {
        using var folder = new TemporaryFolder();
        string project = Directory.CreateDirectory(folder.File("Consumer")).FullName;
        feed.WriteNuGetConfig(folder.Path);
        File.Copy(PyTorchFixtures.OfficialPth, Path.Combine(project, "model.pth"));
        File.WriteAllText(Path.Combine(project, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="RepVgg" Version="{feed.Version}" />
                <RepVggModel Include="model.pth" ClassName="Tiny" InputHeight="64" InputWidth="64" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Program.cs"), LogitsProgram("Consumer.Tiny"));

        (int built, string buildOutput) = DotnetCli.Run(project, "build", "-c", "Release", "-nodeReuse:false");
        Assert.True(built == 0, buildOutput);
        Assert.Contains("repvgg-compile: model.pth", buildOutput);

        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput("x64");
        string images = folder.File("images.f32"), logitsFile = folder.File("logits.f32");
        File.WriteAllBytes(images, MemoryMarshal.AsBytes(input.Images.AsSpan()).ToArray());
        (int ran, string runOutput) = DotnetCli.Run(project, Path.Combine(project, "bin", "Release", "net10.0", "Consumer.dll"), images, logitsFile);
        Assert.True(ran == 0, runOutput);
        float[] packaged = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(logitsFile)).ToArray();

        // The same checkpoint compiled in this repository from source: the same float32 bits.
        var inRepository = new float[input.Batch * TinyOfficial.ClassCount];
        using (var net = TinyOfficial.Create(Backend.Cpu)) net.Infer(input.Images, inRepository);
        Assert.Equal(inRepository, packaged);
        NumericAssert.Close(input.Logits, packaged, 1e-5, "the packaged build's logits against PyTorch's float64");
    }

    [Fact]
    public void A_library_packed_with_its_weights_beside_it_runs_in_the_application_that_references_it()
    {
        using var folder = new TemporaryFolder();
        string library = Directory.CreateDirectory(folder.File("Models")).FullName;
        string application = Directory.CreateDirectory(folder.File("App")).FullName;
        string libraryFeed = Directory.CreateDirectory(folder.File("library-feed")).FullName;
        feed.WriteNuGetConfig(folder.Path, libraryFeed);
        File.Copy(PyTorchFixtures.OfficialPth, Path.Combine(library, "model.pth"));
        File.WriteAllText(Path.Combine(library, "Models.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Version>1.0.0</Version>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="RepVgg" Version="{feed.Version}" />
                <RepVggModel Include="model.pth" ClassName="Tiny" InputHeight="64" InputWidth="64" Embed="false" />
              </ItemGroup>
            </Project>
            """);
        // Built, then packed as a CI would: without building again.
        (int builtLibrary, string libraryOutput) = DotnetCli.Run(library, "build", "-c", "Release", "-nodeReuse:false");
        Assert.True(builtLibrary == 0, libraryOutput);
        (int packed, string packOutput) = DotnetCli.Run(library, "pack", "-c", "Release", "-nodeReuse:false", "--no-build", "-o", libraryFeed);
        Assert.True(packed == 0, packOutput);

        File.WriteAllText(Path.Combine(application, "App.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Models" Version="1.0.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(application, "Program.cs"), LogitsProgram("Models.Tiny"));
        (int built, string buildOutput) = DotnetCli.Run(application, "build", "-c", "Release", "-nodeReuse:false");
        Assert.True(built == 0, buildOutput);
        string output = Path.Combine(application, "bin", "Release", "net10.0");
        Assert.True(File.Exists(Path.Combine(output, "RepVgg.Models.Tiny.weights.bin")), buildOutput);

        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput("x64");
        string images = folder.File("images.f32"), logitsFile = folder.File("logits.f32");
        File.WriteAllBytes(images, MemoryMarshal.AsBytes(input.Images.AsSpan()).ToArray());
        (int ran, string runOutput) = DotnetCli.Run(application, Path.Combine(output, "App.dll"), images, logitsFile);
        Assert.True(ran == 0, runOutput);
        var inRepository = new float[input.Batch * TinyOfficial.ClassCount];
        using (var net = TinyOfficial.Create(Backend.Cpu)) net.Infer(input.Images, inRepository);
        Assert.Equal(inRepository, MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(logitsFile)).ToArray());
    }

    [Fact]
    public void The_README_adds_a_model_to_a_new_project_as_written()
    {
        ReadmeSection readme = ReadmeSection.Read(AddAModel);
        IReadOnlyList<string> shell = readme.Of("sh"), xml = readme.Of("xml"), csharp = readme.Of("csharp");
        Assert.True(shell.Count == 3 && xml.Count == 1 && csharp.Count == 1,
            $"README's '{AddAModel}' should hold the feed's commands, the project's, the item, Program.cs and the run; found {string.Join(", ", readme.Blocks.Select(b => b.Language))}.");
        using var folder = new TemporaryFolder();

        // The project's commands, anywhere outside the repository (they end in its folder, MyApp).
        (int created, string createOutput) = feed.RunShell(folder.Path, shell[1], folder.File("packages"));
        Assert.True(created == 0, createOutput);
        string project = folder.File("MyApp");
        string projectFile = Path.Combine(project, "MyApp.csproj");
        File.WriteAllText(projectFile, File.ReadAllText(projectFile).Replace("</Project>", xml[0] + "</Project>"));
        File.WriteAllText(Path.Combine(project, "Program.cs"), csharp[0]);

        (int ran, string runOutput) = feed.RunShell(project, shell[2], folder.File("packages"));
        Assert.True(ran == 0, runOutput);
        Assert.Matches(@"class [0-9]+ of 1000", runOutput);
    }

    [PyTorchFact]
    public void The_tool_installed_from_the_feed_fuses_a_checkpoint_that_PyTorch_loads_strictly()
    {
        string python = PyTorchEnvironment.Python ?? throw new InvalidOperationException(
            "PyTorch is required under CI=true, and no python3 imports torch; .ci/run installs it with apt-get install -y python3-torch.");
        using var folder = new TemporaryFolder();
        string config = feed.WriteNuGetConfig(folder.Path), tools = folder.File("tools");
        (int installed, string installOutput) = DotnetCli.Run(folder.Path,
            "tool", "install", "RepVgg.Tool", "--version", feed.Version, "--tool-path", tools, "--configfile", config);
        Assert.True(installed == 0, installOutput);
        string repvgg = Path.Combine(tools, "repvgg");

        // fuse_check.py (the tool's own PyTorch test) writes a training-time checkpoint and checks the fused ones.
        string script = Path.Combine(PyTorchFixtures.RepositoryRoot, "tests", "RepVgg.Cli.Tests", "PyTorch", "fuse_check.py");
        (int wrote, string writeOutput) = PyTorchEnvironment.Run(python, $"\"{script}\" write \"{folder.Path}\"");
        Assert.True(wrote == 0, writeOutput);
        string train = folder.File("train.pth");
        (int fused, string fuseOutput) = DotnetCli.RunProgram(folder.Path, repvgg, "fuse", train, "-o", folder.File("deploy.pth"), "--strides", "1,2,2,2,2");
        Assert.True(fused == 0, fuseOutput);
        (int fusedTimm, string timmOutput) = DotnetCli.RunProgram(folder.Path, repvgg, "fuse", train, "-o", folder.File("deploy-timm.pth"), "--naming", "timm");
        Assert.True(fusedTimm == 0, timmOutput);
        foreach (string squeezed in new[] { "d2se", "plus" })
        {
            (int fusedSqueezed, string squeezedOutput) = DotnetCli.RunProgram(folder.Path, repvgg, "fuse", folder.File($"{squeezed}-train.pth"), "-o", folder.File($"{squeezed}-deploy.pth"));
            Assert.True(fusedSqueezed == 0, squeezedOutput);
        }

        (int checkedExit, string checkOutput) = PyTorchEnvironment.Run(python, $"\"{script}\" check \"{folder.Path}\"");
        Assert.True(checkedExit == 0, checkOutput);
        using var result = System.Text.Json.JsonDocument.Parse(checkOutput.Trim().Split('\n')[^1]);
        double relativeL2 = result.RootElement.GetProperty("relative_l2").GetDouble();
        Assert.True(relativeL2 <= 1e-5, $"The installed tool's deploy.pth gives logits {relativeL2:E3} (relative L2) from the training-time model's.");
        Assert.True(result.RootElement.GetProperty("timm_same").GetBoolean(), "deploy-timm.pth does not hold deploy.pth's tensors under timm's names.");
        foreach (System.Text.Json.JsonProperty squeezed in result.RootElement.GetProperty("squeezed").EnumerateObject())
            Assert.True(squeezed.Value.GetProperty("relative_l2").GetDouble() <= 1e-5, $"The installed tool's {squeezed.Name}-deploy.pth: {squeezed.Value}.");
    }

    /// <summary>
    /// A Program.cs that reads N x C x H x W float32 images from its first argument and writes the N x ClassCount float32
    /// logits of the generated class <paramref name="network"/> (namespace-qualified) to its second.
    /// </summary>
    private static string LogitsProgram(string network) => $$"""
        using System.Runtime.InteropServices;
        float[] images = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(args[0])).ToArray();
        float[] logits = new float[images.Length / ({{network}}.InputChannels * {{network}}.InputHeight * {{network}}.InputWidth) * {{network}}.ClassCount];
        using (var net = {{network}}.Create()) net.Infer(images, logits);
        File.WriteAllBytes(args[1], MemoryMarshal.AsBytes(logits.AsSpan()).ToArray());
        """;

    /// <summary>The README section whose commands these tests run.</summary>
    private const string AddAModel = "## Add a model to your project";

    /// <summary>
    /// Both packages packed once per test run, by the README's first block run from the repository: into
    /// <c>~/repvgg-feed</c> of a home folder made for the run, whose NuGet configuration then names the feed.
    /// </summary>
    public sealed class LocalFeed : IDisposable
    {
        private readonly TemporaryFolder _folder = new();

        /// <summary>The packages' version, from Directory.Build.props.</summary>
        public string Version { get; }

        /// <summary>The run's home folder: <c>~</c> in the README's commands.</summary>
        public string Home => _folder.File("home");

        public string Directory => Path.Combine(Home, "repvgg-feed");

        public LocalFeed()
        {
            // Only this machine's NuGet cache as a source, until the README adds the feed.
            string config = Path.Combine(Home, ".nuget", "NuGet", "NuGet.Config");
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(config)!);
            File.WriteAllText(config, $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="machine-cache" value="{MachineCache}" />
                  </packageSources>
                </configuration>
                """);
            // The repository's own projects restore into the machine's cache as always.
            (int exitCode, string output) = RunShell(PyTorchFixtures.RepositoryRoot, ReadmeSection.Read(AddAModel).Of("sh")[0], MachineCache);
            if (exitCode != 0)
                throw new InvalidOperationException($"The README's packing commands failed:\n{output}");
            string package = System.IO.Directory.GetFiles(Directory, "RepVgg.*.nupkg").Select(Path.GetFileName).Single(name => !name!.StartsWith("RepVgg.Tool.", StringComparison.Ordinal))!;
            Version = package["RepVgg.".Length..^".nupkg".Length];
        }

        private static string MachineCache => Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

        /// <summary>Runs README shell commands with bash in <paramref name="folder"/>, with this run's home and <paramref name="packages"/> as NuGet's package folder.</summary>
        public (int ExitCode, string Output) RunShell(string folder, string commands, string packages)
        {
            var start = new System.Diagnostics.ProcessStartInfo("bash", ["-e", "-c", commands]) { WorkingDirectory = folder };
            start.Environment["HOME"] = Home;
            start.Environment["NUGET_PACKAGES"] = packages;
            start.Environment["DOTNET_NOLOGO"] = "1";
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            (int exitCode, string output) = ChildProcess.Run(start);
            return (exitCode, $"$ (in {folder}) {commands}\n{output}");
        }

        /// <summary>
        /// A nuget.config in <paramref name="folder"/>: the feed (and <paramref name="moreFeeds"/>), and this machine's NuGet cache for
        /// the packages' own dependencies (nothing is downloaded), restored into a folder of its own.
        /// </summary>
        public string WriteNuGetConfig(string folder, params string[] moreFeeds)
        {
            string cache = MachineCache;
            string path = Path.Combine(folder, "nuget.config");
            File.WriteAllText(path, $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="feed" value="{Directory}" />
                    {string.Concat(moreFeeds.Select((feed, i) => $"<add key=\"feed{i + 2}\" value=\"{feed}\" />"))}
                    <add key="machine-cache" value="{cache}" />
                  </packageSources>
                  <config>
                    <add key="globalPackagesFolder" value="{Path.Combine(folder, "packages")}" />
                  </config>
                </configuration>
                """);
            return path;
        }

        public void Dispose() => _folder.Dispose();
    }
}
