namespace RepVgg.Visualization;

/// <summary>How <see cref="TensorPlot"/> reads a tensor and how large it draws the figure.</summary>
public sealed record TensorPlotOptions
{
    /// <summary>The options used when none are given.</summary>
    public static TensorPlotOptions Default { get; } = new();

    /// <summary>The axis order of rank-3 and rank-4 tensors; PyTorch's (C, H, W) by default.</summary>
    public TensorLayout Layout { get; init; } = TensorLayout.ChannelsFirst;

    /// <summary>
    /// Scale the whole tensor to [0, 1] first: subtract the minimum, then divide by
    /// max(new maximum, 1e-6). NaN and infinities are left out of the minimum and maximum.
    /// Applies to the PNG and to the text.
    /// </summary>
    public bool Normalize { get; init; }

    /// <summary>The figure's width in pixels (1000 by default).</summary>
    public int Width { get; init; } = 1000;

    /// <summary>The figure's height in pixels (1000 by default).</summary>
    public int Height { get; init; } = 1000;
}
