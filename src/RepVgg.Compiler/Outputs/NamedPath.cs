namespace RepVgg.Compiler.Outputs;

/// <summary>A file a command reads or writes, and how its command line names it.</summary>
/// <param name="Name">The option or argument, as a message names it: <c>--blob</c>, <c>the checkpoint</c>.</param>
/// <param name="Path">The path as given, or null for an optional file not asked for.</param>
public readonly record struct NamedPath(string Name, string? Path);
