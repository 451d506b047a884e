using System.Collections.Immutable;

namespace RepVgg.Generators.Tests;

/// <summary>One model as the build hands it to the generator: a manifest file and its AdditionalFiles item metadata.</summary>
/// <param name="Path">Path of the manifest file.</param>
/// <param name="ManifestText">The manifest's JSON.</param>
/// <param name="Metadata">Analyzer-config options of the item, keyed <c>build_metadata.AdditionalFiles.*</c>.</param>
internal sealed record ModelItem(string Path, string ManifestText, ImmutableDictionary<string, string> Metadata)
{
    /// <summary>A copy with one metadata value replaced (an empty value removes it).</summary>
    public ModelItem WithMetadata(string key, string value) =>
        this with { Metadata = value.Length == 0 ? Metadata.Remove(key) : Metadata.SetItem(key, value) };
}
