using System.Runtime.InteropServices;
using System.Text.Json;

namespace RepVgg.Testing;

/// <summary>
/// The checkpoint PyTorch wrote, committed in tests/fixtures/pytorch (see its README): the same tiny
/// RepVGG in three files, two input batches, and float64 logits computed by PyTorch.
/// </summary>
public static class PyTorchFixtures
{
    /// <summary>The repository root: the folder holding Compiler.sln.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The fixtures folder in the repository.</summary>
    public static string Directory { get; } = Path.Combine(RepositoryRoot, "tests", "fixtures", "pytorch");

    public static string OfficialPth => Path.Combine(Directory, "tiny_official_train.pth");
    public static string WrappedPth => Path.Combine(Directory, "tiny_official_train_wrapped.pth");
    public static string TimmSafetensors => Path.Combine(Directory, "tiny_timm_train.safetensors");

    /// <summary>The three files holding the same tensors.</summary>
    public static IEnumerable<object[]> AllCheckpoints =>
        [[nameof(OfficialPth)], [nameof(WrappedPth)], [nameof(TimmSafetensors)]];

    public static string Checkpoint(string name) => name switch
    {
        nameof(OfficialPth) => OfficialPth,
        nameof(WrappedPth) => WrappedPth,
        nameof(TimmSafetensors) => TimmSafetensors,
        _ => throw new ArgumentException(name),
    };

    /// <summary>The input batches listed in tiny.expected.json: <c>x64</c> (3 x 3 x 64 x 64) and <c>x33x47</c> (1 x 3 x 33 x 47).</summary>
    public static IEnumerable<object[]> AllInputs => [["x64"], ["x33x47"]];

    /// <summary>An input batch with PyTorch's float64 logits and top-5 for it.</summary>
    public sealed record Input(string Name, int Batch, int Height, int Width, float[] Images, double[] Logits, int[][] Top5, int Classes);

    public static Input LoadInput(string name)
    {
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "tiny.expected.json")));
        JsonElement input = expected.RootElement.GetProperty("inputs").GetProperty(name);
        int[] shape = input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        byte[] raw = File.ReadAllBytes(Path.Combine(Directory, input.GetProperty("file").GetString()!));
        float[] images = MemoryMarshal.Cast<byte, float>(raw).ToArray(); // little-endian float32, NCHW
        double[][] logits = input.GetProperty("logits_fp64").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
        int[][] top5 = input.GetProperty("top5").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
        if (images.Length != shape[0] * shape[1] * shape[2] * shape[3])
            throw new InvalidDataException($"{name}: {images.Length} floats for shape ({string.Join(", ", shape)}).");
        return new Input(name, shape[0], shape[2], shape[3], images, logits.SelectMany(r => r).ToArray(), top5, logits[0].Length);
    }

    private static string FindRepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Compiler.sln"))) return dir;
        }
        throw new InvalidOperationException($"No Compiler.sln above {AppContext.BaseDirectory}.");
    }
}
