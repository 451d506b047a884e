using RepVgg.Checkpoints;
using RepVgg.Compiler.Writing;

namespace RepVgg.Fuzz;

/// <summary>Which reader a seed was written for; the mutations that understand its structure depend on it.</summary>
internal enum SeedFormat
{
    /// <summary>A zip checkpoint (torch.save since PyTorch 1.6).</summary>
    Pth,
    /// <summary>torch.save before PyTorch 1.6: pickles back to back, then the storages.</summary>
    LegacyPth,
    /// <summary>An 8-byte header length, a JSON header, then the data.</summary>
    Safetensors,
}

/// <summary>The pieces a zip checkpoint is made of, so a mutated <c>data.pkl</c> can be zipped again validly.</summary>
/// <param name="DataPkl">The pickle.</param>
/// <param name="Storages">Entry name under <c>data/</c> and bytes, in archive order.</param>
/// <param name="Format">The zip layout.</param>
internal sealed record PthParts(byte[] DataPkl, KeyValuePair<string, byte[]>[] Storages, PthFormat Format);

/// <summary>One file of the corpus that every input is mutated from.</summary>
/// <param name="Name">Where it came from, for reports.</param>
/// <param name="Format">The reader it was written for.</param>
/// <param name="Bytes">The whole file.</param>
/// <param name="Parts">For zip checkpoints, the entries it holds.</param>
internal sealed record Seed(string Name, SeedFormat Format, byte[] Bytes, PthParts? Parts)
{
    /// <summary>For files the fuzzer wrote from a state dict, its tensors, so they can be edited before writing.</summary>
    public IReadOnlyList<TensorToWrite>? Tensors { get; init; }

    /// <summary>The extension inputs mutated from this seed get: the reader falls back to safetensors on <c>.safetensors</c>.</summary>
    public string Extension => Format == SeedFormat.Safetensors ? ".safetensors" : ".pth";
}
