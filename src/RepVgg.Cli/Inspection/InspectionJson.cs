using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RepVgg.Cli.Inspection;

/// <summary><c>repvgg inspect --json</c>: the same report as one JSON object with camelCase names.</summary>
internal static class InspectionJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        // Tensor names and messages keep their quotes and arrows readable ('stage1.0', "->").
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static string Write(CheckpointInspection inspection) => JsonSerializer.Serialize(inspection, Options);
}
