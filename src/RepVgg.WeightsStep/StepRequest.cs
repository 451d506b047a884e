using System.Text.Json;

/// <summary>
/// A request the build's targets wrote for this step (PrepareRepVggModels in src/RepVgg.Build.Tasks): one JSON
/// object of strings and flags, <c>command</c> first. Paths and metadata arrive here as data, never through a
/// command line.
/// </summary>
internal sealed class StepRequest
{
    private readonly string _path;
    private readonly Dictionary<string, JsonElement> _values;

    private StepRequest(string path, Dictionary<string, JsonElement> values)
    {
        _path = path;
        _values = values;
    }

    /// <summary>What the request asks: <c>compile</c>, <c>probe</c> or <c>snapshot</c>.</summary>
    public string Command => Required("command");

    /// <exception cref="FormatException">The file is not one JSON object.</exception>
    public static StepRequest Parse(string path, byte[] json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new FormatException($"Request {path} is not a JSON object.");
        return new StepRequest(path, document.RootElement.EnumerateObject().ToDictionary(property => property.Name, property => property.Value.Clone()));
    }

    /// <summary>A string the request must hold.</summary>
    public string Required(string name) => Optional(name) ?? throw new FormatException($"Request {_path} lacks '{name}'.");

    /// <summary>A string, or null when the request does not hold it.</summary>
    public string? Optional(string name) => _values.TryGetValue(name, out JsonElement value) ? value.GetString() : null;

    /// <summary>A flag, false when the request does not hold it.</summary>
    public bool Flag(string name) => _values.TryGetValue(name, out JsonElement value) && value.GetBoolean();
}
