namespace RepVgg.Visualization;

/// <summary>How the axes of a rank-3 or rank-4 tensor are ordered. Ranks 1 and 2 are drawn as they are.</summary>
public enum TensorLayout
{
    /// <summary>PyTorch's order: (C, H, W) and (N, C, H, W). The default.</summary>
    ChannelsFirst,

    /// <summary>
    /// Image-style (NumPy) arrays: (H, W, C) and (H, W, C, N). They are reordered to (C, H, W) and
    /// (N, C, H, W) before anything is drawn or written, as the Python <c>via</c> does for NumPy
    /// arrays (<c>transpose(2, 0, 1)</c> and <c>transpose(3, 2, 0, 1)</c>).
    /// </summary>
    ChannelsLast,
}
