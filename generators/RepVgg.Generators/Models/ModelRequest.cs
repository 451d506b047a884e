namespace RepVgg.Generators;

/// <summary>One AdditionalFiles item that declares a RepVgg model: the manifest text and the item's metadata, unvalidated.</summary>
/// <param name="FilePath">Path of the manifest, for diagnostics.</param>
/// <param name="ManifestText">The manifest's JSON, or <see langword="null"/> when the file could not be read.</param>
/// <param name="ClassName">Name of the class to generate (<c>RepVggClassName</c>).</param>
/// <param name="Namespace">Its namespace (<c>RepVggNamespace</c>, else the project's <c>RootNamespace</c>); empty for the global namespace.</param>
/// <param name="InputHeight">Input height as written (<c>RepVggInputHeight</c>); empty for the default.</param>
/// <param name="InputWidth">Input width as written (<c>RepVggInputWidth</c>); empty for the default.</param>
/// <param name="ResourceName">Logical name of the embedded weight blob (<c>RepVggResourceName</c>); empty when the item lacks it.</param>
/// <param name="Embed">The item's <c>Embed</c> metadata as written (<c>RepVggEmbed</c>): <c>false</c> puts the blob beside the assembly.</param>
internal sealed record ModelRequest(
    string FilePath,
    string? ManifestText,
    string ClassName,
    string Namespace,
    string InputHeight,
    string InputWidth,
    string ResourceName,
    string Embed = "");
