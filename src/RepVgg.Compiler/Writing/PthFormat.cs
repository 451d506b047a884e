namespace RepVgg.Compiler.Writing;

/// <summary>The two zip layouts torch.save has written since PyTorch 1.6.</summary>
public enum PthFormat
{
    /// <summary>
    /// PyTorch 1.6 to 1.x: entries under <c>archive/</c> (<c>data.pkl</c>, <c>data/&lt;key&gt;</c>,
    /// <c>version</c>), no <c>byteorder</c> or <c>.format_version</c>.
    /// </summary>
    Torch1,

    /// <summary>
    /// PyTorch 2.x: entries under the file's stem, with <c>.format_version</c>, <c>.storage_alignment</c>
    /// and <c>byteorder</c>, and every entry's data aligned to 64 bytes.
    /// </summary>
    Torch2,
}
