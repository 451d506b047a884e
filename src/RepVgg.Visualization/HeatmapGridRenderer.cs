using ScottPlot;
using SkiaSharp;

namespace RepVgg.Visualization;

/// <summary>
/// Draws a <see cref="ShapedTensor"/> as the Python via's figure: the shape as the title, then a
/// grid of ScottPlot heatmaps ('jet', a colorbar each), one per matrix. Rank 3 gets
/// ceil(sqrt(C)) columns; rank 4 one such block of rows per image, stacked.
/// </summary>
internal static class HeatmapGridRenderer
{
    /// <summary>Drawn where a cell is NaN or infinite: a grey that 'jet' never produces.</summary>
    public static readonly Color NonFiniteColor = new(128, 128, 128);

    private const float TitleBand = 48;

    public static TensorFigure Save(ShapedTensor tensor, string path, TensorPlotOptions options)
    {
        if (options.Width < 100 || options.Height < 100)
        {
            throw new ArgumentOutOfRangeException(nameof(options),
                $"The figure must be at least 100 x 100 pixels; {options.Width} x {options.Height} was asked for.");
        }

        int columns = tensor.Rank >= 3 ? (int)Math.Ceiling(Math.Sqrt(tensor.Channels)) : 1;
        int rowsPerImage = (tensor.Channels + columns - 1) / columns;
        int rows = rowsPerImage * tensor.Images;
        float cellWidth = (float)options.Width / columns;
        float cellHeight = (options.Height - TitleBand) / rows;

        // One colour scale for the whole figure would hide small channels; like matplotlib's
        // imshow, each panel gets its own range over its finite values.
        string title = "Array shape: " + tensor.ShapeText;
        var panels = new List<HeatmapPanel>();
        using var surface = SKSurface.Create(new SKImageInfo(options.Width, options.Height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"SkiaSharp could not make a {options.Width} x {options.Height} surface.");
        SKCanvas canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        DrawTitle(canvas, title, options.Width);

        for (int image = 0; image < tensor.Images; image++)
        {
            for (int channel = 0; channel < tensor.Channels; channel++)
            {
                int row = (image * rowsPerImage) + (channel / columns);
                int column = channel % columns;
                var rect = new PixelRect(
                    left: column * cellWidth,
                    right: (column + 1) * cellWidth,
                    bottom: TitleBand + ((row + 1) * cellHeight),
                    top: TitleBand + (row * cellHeight));
                string panelTitle = tensor.Rank switch
                {
                    3 => $"{channel}-channel",
                    4 => $"{image}-Image {channel}-channel",
                    _ => "",
                };
                panels.Add(DrawPanel(canvas, rect, panelTitle, tensor, image, channel));
            }
        }

        using SKImage snapshot = surface.Snapshot();
        using SKData png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        string? folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        using (FileStream file = File.Create(path)) png.SaveTo(file);
        return new TensorFigure(path, options.Width, options.Height, title, panels);
    }

    private static HeatmapPanel DrawPanel(SKCanvas canvas, PixelRect rect, string title, ShapedTensor tensor, int image, int channel)
    {
        ReadOnlySpan<float> matrix = tensor.Matrix(image, channel);
        int rows = tensor.Rows, columns = tensor.Columns;

        // ScottPlot draws row 0 of Intensities at the top, as imshow does. Non-finite cells become
        // NaN so that they take NaNCellColor and stay out of the colour range.
        var intensities = new double[rows, columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                float v = matrix[(r * columns) + c];
                intensities[r, c] = float.IsFinite(v) ? v : double.NaN;
            }
        }

        var plot = new Plot();
        ScottPlot.Plottables.Heatmap heatmap = plot.Add.Heatmap(intensities);
        heatmap.Colormap = new JetColormap();
        heatmap.NaNCellColor = NonFiniteColor;
        if (ShapedTensor.FiniteRange(matrix, out float min, out float max))
        {
            // A constant matrix: matplotlib maps every value to the bottom of the colormap; a range
            // of width 1 does the same here without dividing by zero.
            heatmap.ManualRange = min < max ? new ScottPlot.Range(min, max) : new ScottPlot.Range(min, min + 1.0);
        }
        plot.Add.ColorBar(heatmap);
        if (title.Length > 0) plot.Title(title, size: 14);
        // A matrix's cells are square, as imshow draws them: a 28 x 35 map is wider than tall whatever the panel's shape.
        // A vector (rank 1) fills its panel instead, or its single row would be a sliver.
        if (tensor.Rank >= 2 && SquareCellPadding(rect, rows, columns, title.Length > 0) is { } padding) plot.Layout.Fixed(padding);
        plot.Axes.Margins(0, 0);
        plot.Axes.SetLimits(heatmap.GetAxisLimits());
        // The cells are drawn with row 0 at the top either way (the PNG tests check that by
        // pixel); inverting the axis makes the tick labels agree, 0 at the top as in imshow.
        plot.Axes.InvertY();

        canvas.Save();
        canvas.ClipRect(new SKRect(rect.Left, rect.Top, rect.Right, rect.Bottom));
        plot.Render(canvas, rect);
        canvas.Restore();

        PixelRect data = plot.RenderManager.LastRender.DataRect;
        return new HeatmapPanel(title, rows, columns, data.Left, data.Top, data.Right, data.Bottom);
    }

    /// <summary>
    /// The padding around a panel's cells that leaves room for the tick labels, the colorbar and the title and gives each
    /// cell as many pixels across as down, centred in what is left; null when the panel is too small for that room.
    /// </summary>
    private static PixelPadding? SquareCellPadding(PixelRect rect, int rows, int columns, bool titled)
    {
        float left = 45, right = 95, bottom = 25, top = titled ? 30 : 10;
        float width = rect.Width - left - right, height = rect.Height - top - bottom;
        if (width <= 0 || height <= 0) return null;
        float cell = Math.Min(width / columns, height / rows);
        float spareX = width - (cell * columns), spareY = height - (cell * rows);
        return new PixelPadding(left + (spareX / 2), right + (spareX / 2), bottom + (spareY / 2), top + (spareY / 2));
    }

    private static void DrawTitle(SKCanvas canvas, string title, int width)
    {
        using var font = new SKFont(SKTypeface.FromFamilyName(Fonts.Default) ?? SKTypeface.Default, 22);
        using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(title, width / 2f, TitleBand * 0.7f, SKTextAlign.Center, font, paint);
    }
}
