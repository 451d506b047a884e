using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace RepVgg.Runtime.Tests;

/// <summary>
/// A blob beside the assembly (<c>Embed="false"</c>): mapped read-only as it is on disk, and refused, naming the path
/// and what was expected, when it is missing, of another length or another SHA-256.
/// </summary>
public sealed class ModelWeightsFileTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private (string Path, float[] Values, string Sha256) Blob(int floats)
    {
        float[] values = Enumerable.Range(0, floats).Select(i => i * 0.25f - 3).ToArray();
        string path = _folder.File("RepVgg.Net.weights.bin");
        byte[] bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        File.WriteAllBytes(path, bytes);
        return (path, values, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    [Fact]
    public void The_file_is_read_as_it_is_on_disk()
    {
        var (path, values, sha256) = Blob(1000);

        ModelWeights weights = ModelWeights.FromFile(path, values.Length, sha256, WeightsLayout.Compact);

        Assert.Equal(values.Length, weights.Length);
        Assert.Equal(WeightsLayout.Compact, weights.Layout);
        Assert.Equal(values, weights.Slice(0, values.Length).ToArray());
    }

    [Fact]
    public void The_file_beside_an_assembly_is_found_in_the_assemblys_folder()
    {
        var (path, values, sha256) = Blob(10);
        string folder = Path.GetDirectoryName(typeof(ModelWeightsFileTests).Assembly.Location)!;
        string name = $"RepVgg.Beside{Guid.NewGuid():N}.weights.bin";
        File.Copy(path, Path.Combine(folder, name));
        try
        {
            ModelWeights weights = ModelWeights.FromFileBeside(typeof(ModelWeightsFileTests).Assembly, name, values.Length, sha256, WeightsLayout.Prepacked);

            Assert.Equal(values, weights.Slice(0, values.Length).ToArray());
            var missing = Assert.Throws<FileNotFoundException>(() =>
                ModelWeights.FromFileBeside(typeof(ModelWeightsFileTests).Assembly, "RepVgg.Absent.weights.bin", values.Length, sha256, WeightsLayout.Prepacked));
            Assert.Equal(Path.Combine(folder, "RepVgg.Absent.weights.bin"), missing.FileName);
        }
        finally
        {
            File.Delete(Path.Combine(folder, name));
        }
    }

    [Fact]
    public void A_missing_file_names_its_path_and_what_was_expected()
    {
        string path = _folder.File("RepVgg.Missing.weights.bin");

        var missing = Assert.Throws<FileNotFoundException>(() => ModelWeights.FromFile(path, 250, "ab12", WeightsLayout.Compact));

        Assert.Equal(path, missing.FileName);
        Assert.StartsWith($"The model's weights file '{path}' is missing; expected 1000 bytes with SHA-256 ab12, which the build copies beside the assembly (Embed=\"false\").", missing.Message);
    }

    [Fact]
    public void A_file_of_another_length_is_refused()
    {
        var (path, values, sha256) = Blob(1000);

        var wrong = Assert.Throws<InvalidDataException>(() => ModelWeights.FromFile(path, values.Length + 1, sha256, WeightsLayout.Compact));

        Assert.StartsWith($"The model's weights file '{path}' holds 4000 bytes; expected 4004 (1001 floats, SHA-256 {sha256}).", wrong.Message);
    }

    [Fact]
    public void A_file_with_other_bytes_is_refused()
    {
        var (path, values, sha256) = Blob(1000);
        string other = Convert.ToHexStringLower(SHA256.HashData([1]));

        var wrong = Assert.Throws<InvalidDataException>(() => ModelWeights.FromFile(path, values.Length, other, WeightsLayout.Compact));

        Assert.StartsWith($"The model's weights file '{path}' has SHA-256 {sha256}; expected {other}.", wrong.Message);
    }
}
