namespace RepVgg.Visualization;

/// <summary>What <see cref="TensorPlot.SavePng(ReadOnlySpan{float}, ReadOnlySpan{int}, string, TensorPlotOptions?)"/> drew.</summary>
/// <param name="Path">The PNG file written.</param>
/// <param name="Width">The image width in pixels.</param>
/// <param name="Height">The image height in pixels.</param>
/// <param name="Title">The figure title, <c>Array shape: (2, 28, 35)</c>.</param>
/// <param name="Panels">One heatmap per matrix, in tensor order (image, then channel).</param>
public sealed record TensorFigure(string Path, int Width, int Height, string Title, IReadOnlyList<HeatmapPanel> Panels);

/// <summary>One heatmap of a figure and where its cells lie in the image.</summary>
/// <param name="Title">The panel title: empty for ranks 1 and 2, <c>{i}-channel</c> for rank 3,
/// <c>{j}-Image {i}-channel</c> for rank 4.</param>
/// <param name="Rows">Matrix rows (1 for a vector); row 0 is drawn at the top.</param>
/// <param name="Columns">Matrix columns; column 0 is drawn at the left.</param>
/// <param name="Left">The left edge of the cells, in pixels.</param>
/// <param name="Top">The top edge of the cells, in pixels.</param>
/// <param name="Right">The right edge of the cells, in pixels.</param>
/// <param name="Bottom">The bottom edge of the cells, in pixels.</param>
public sealed record HeatmapPanel(string Title, int Rows, int Columns, float Left, float Top, float Right, float Bottom)
{
    /// <summary>The pixel at the centre of cell (<paramref name="row"/>, <paramref name="column"/>).</summary>
    public (int X, int Y) CellCentre(int row, int column) => (
        (int)(Left + ((column + 0.5f) * (Right - Left) / Columns)),
        (int)(Top + ((row + 0.5f) * (Bottom - Top) / Rows)));
}
