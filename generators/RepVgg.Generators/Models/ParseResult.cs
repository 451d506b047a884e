using RepVgg.Manifest;

namespace RepVgg.Generators;

/// <summary>What the parser made of one model: the network to emit, or the diagnostics that stop it.</summary>
/// <param name="Network">The network; <see langword="null"/> when there are diagnostics.</param>
/// <param name="Diagnostics">Everything wrong with the item's metadata and manifest.</param>
internal sealed record ParseResult(NetworkSpec? Network, EquatableArray<DiagnosticInfo> Diagnostics);
