using System.Globalization;
using Microsoft.Build.Framework;
using RepVgg.Checkpoints;
using RepVgg.Manifest;

namespace RepVgg.Build.Tasks;

/// <summary>
/// Before the C# compiler runs: fails the build, naming each model and its size, when the weights it would embed add
/// up past <see cref="LimitBytes"/>, rather than let the compiler crash writing an assembly too large for its format.
/// </summary>
/// <remarks>
/// The default limit is 1 GiB. A PE file addresses its sections with 32-bit offsets, signed in the writer Roslyn uses
/// (System.Reflection.Metadata), so an image past 2 GB cannot be written: Roslyn failed with an
/// <c>ArgumentOutOfRangeException</c> (<c>mappedFieldDataStreamRva</c>) on a project embedding 2.1 GB. Roslyn also
/// builds the whole image in memory before it writes it. Half the format's reach leaves room for the code, the other
/// resources and that copy, and every RepVGG up to B3 (1.5 GB prepacked, about 0.5 GB compact) fits alone.
/// </remarks>
public sealed class CheckEmbeddedWeights : Microsoft.Build.Utilities.Task
{
    /// <summary>The default <see cref="LimitBytes"/>: 1 GiB.</summary>
    public const long DefaultLimitBytes = 1L << 30;

    /// <summary>The compiled models (<c>BlobPath</c>, <c>ClassName</c>, and the item's <c>Embed</c> metadata).</summary>
    [Required]
    public ITaskItem[] Models { get; set; } = [];

    /// <summary>The project file, which the error names.</summary>
    [Required]
    public string ProjectFile { get; set; } = "";

    /// <summary>The most bytes of weights one assembly may embed (<c>$(RepVggEmbeddedWeightsLimit)</c>); empty for the default.</summary>
    public string LimitBytes { get; set; } = "";

    /// <inheritdoc/>
    public override bool Execute()
    {
        long limit = DefaultLimitBytes;
        if (LimitBytes.Length > 0 && (!long.TryParse(LimitBytes, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit <= 0))
        {
            Log.LogError(null, DiagnosticIds.InvalidMetadata, null, ProjectFile, 0, 0, 0, 0,
                $"RepVggEmbeddedWeightsLimit is {DiagnosticText.Quote(LimitBytes)}; expected a positive number of bytes.");
            return false;
        }
        var embedded = Models
            .Where(model => !string.Equals(model.GetMetadata("Embed"), "false", StringComparison.OrdinalIgnoreCase))
            .Select(model => (Name: model.GetMetadata("ClassName"), Bytes: new FileInfo(model.GetMetadata("BlobPath")).Length))
            .OrderByDescending(model => model.Bytes)
            .ToList();
        long total = embedded.Sum(model => model.Bytes);
        if (total <= limit)
            return true;
        string models = string.Join(", ", embedded.Select(model => $"{model.Name} {Megabytes(model.Bytes)}"));
        Log.LogError(null, DiagnosticIds.EmbeddedWeightsTooLarge, null, ProjectFile, 0, 0, 0, 0,
            $"The project's RepVggModel items would embed {Megabytes(total)} of weights in its assembly ({models}); at most {Megabytes(limit)} fits safely " +
            "(a PE file reaches 2 GB, and the C# compiler holds the whole image in memory). Add Embed=\"false\" to the largest items: " +
            "their weights are then written beside the assembly, copied on build and publish, and mapped at Create.");
        return false;
    }

    private static string Megabytes(long bytes) => (bytes / 1e6).ToString("F1", CultureInfo.InvariantCulture) + " MB";
}
