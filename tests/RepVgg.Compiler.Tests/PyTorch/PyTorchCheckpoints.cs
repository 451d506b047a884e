using System.Runtime.InteropServices;
using System.Text.Json;
using RepVgg.Testing;

namespace RepVgg.Compiler.Tests.PyTorch;

/// <summary>
/// Checkpoints that real PyTorch wrote for this test run (write_checkpoints.py, once per run, into a
/// temporary folder), with the inputs and PyTorch's float64 logits for each. The script runs when the
/// first case is asked for, so a skipped test class never needs PyTorch.
/// </summary>
public sealed class PyTorchCheckpoints : IDisposable
{
    /// <summary>Seeds of the random architectures every run checks; REPVGG_PYTORCH_SEEDS (e.g. <c>100-300</c> or <c>7,9</c>) replaces them.</summary>
    public static IReadOnlyList<int> RandomSeeds { get; } = ParseSeeds(Environment.GetEnvironmentVariable("REPVGG_PYTORCH_SEEDS") ?? "1-24");

    /// <summary>The script, in the repository beside these tests.</summary>
    public static string Script { get; } = Path.Combine(PyTorchFixtures.RepositoryRoot, "tests", "RepVgg.Compiler.Tests", "PyTorch", "write_checkpoints.py");

    private readonly TemporaryFolder _folder = new();
    private readonly Lazy<Dictionary<string, PyTorchCase>> _cases;

    public PyTorchCheckpoints() => _cases = new(WriteCases);

    public PyTorchCase this[string name] => _cases.Value[name];

    public void Dispose() => _folder.Dispose();

    private Dictionary<string, PyTorchCase> WriteCases()
    {
        string python = PyTorchEnvironment.Python ?? throw new InvalidOperationException(
            "PyTorch is required under CI=true, and no python3 imports torch; .ci/run installs it with apt-get install -y python3-torch.");
        var (exitCode, output) = PyTorchEnvironment.Run(python, $"\"{Script}\" \"{_folder.Path}\" --random-seeds {string.Join(",", RandomSeeds)}");
        if (exitCode != 0)
            throw new InvalidOperationException($"{Script} failed (exit code {exitCode}):\n{output}");
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(_folder.File("cases.json")));
        return json.RootElement.GetProperty("cases").EnumerateArray().Select(Parse).ToDictionary(c => c.Name);
    }

    private PyTorchCase Parse(JsonElement c)
    {
        int[] shape = c.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        float[]? images = c.TryGetProperty("input", out JsonElement input)
            ? MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(_folder.File(input.GetString()!))).ToArray()
            : null;
        double[]? logits = c.TryGetProperty("logits", out JsonElement l)
            ? MemoryMarshal.Cast<byte, double>(File.ReadAllBytes(_folder.File(l.GetString()!))).ToArray()
            : null;
        return new PyTorchCase(
            c.GetProperty("name").GetString()!,
            _folder.File(c.GetProperty("checkpoint").GetString()!),
            c.GetProperty("description").GetString()!,
            c.GetProperty("expect").GetString()!,
            new CompileOptions
            {
                InputHeight = shape[2],
                InputWidth = shape[3],
                Strides = c.GetProperty("strides").ValueKind == JsonValueKind.Null ? null : c.GetProperty("strides").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                StateDictKey = c.GetProperty("state_dict_key").GetString(),
            },
            shape, c.GetProperty("classes").GetInt32(), images, logits);
    }

    private static int[] ParseSeeds(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .SelectMany(part => part.Split('-') is [var first, var last]
            ? Enumerable.Range(int.Parse(first), int.Parse(last) - int.Parse(first) + 1)
            : [int.Parse(part)])
        .ToArray();
}

/// <summary>One checkpoint PyTorch wrote, how to compile it, and what PyTorch computed.</summary>
/// <param name="Name">The case's name, e.g. <c>timm-train</c> or <c>random-7</c>.</param>
/// <param name="Checkpoint">The file.</param>
/// <param name="Description">What it is, for messages (random cases: seed and architecture).</param>
/// <param name="Expect"><c>ok</c>, or the diagnostic ID compiling it must fail with.</param>
/// <param name="Options">The item metadata a project would set.</param>
/// <param name="Shape">The input batch's N, C, H, W.</param>
/// <param name="Classes">Logits per image.</param>
/// <param name="Images">The input batch (NCHW float32), when <paramref name="Expect"/> is ok.</param>
/// <param name="Logits">PyTorch's float64 logits (N x Classes), when <paramref name="Expect"/> is ok.</param>
public sealed record PyTorchCase(string Name, string Checkpoint, string Description, string Expect, CompileOptions Options,
    int[] Shape, int Classes, float[]? Images, double[]? Logits);
