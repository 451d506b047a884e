using System.Numerics.Tensors;
using RepVgg.Visualization;
using SkiaSharp;

namespace RepVgg.Visualization.Tests;

/// <summary>The PNG, decoded with SkiaSharp: size, panels, and the colours at cell centres.</summary>
public sealed class TensorPngTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    // Matplotlib's jet at 0, 0.5 and 1 (plt.cm.jet(x), times 255), and the grey drawn for NaN and inf.
    private static readonly SKColor JetLow = new(0, 0, 128);
    private static readonly SKColor JetMiddle = new(124, 255, 122);
    private static readonly SKColor JetHigh = new(128, 0, 0);
    private static readonly SKColor NonFinite = new(128, 128, 128);

    private (TensorFigure Figure, SKBitmap Image) Draw(float[] values, int[] shape, TensorPlotOptions? options = null)
    {
        string path = _folder.File("figure.png");
        TensorFigure figure = TensorPlot.SavePng(values, shape, path, options);
        SKBitmap image = SKBitmap.Decode(path) ?? throw new InvalidDataException($"{path} does not decode as an image.");
        return (figure, image);
    }

    private static void AssertColour(SKColor expected, SKBitmap image, HeatmapPanel panel, int row, int column)
    {
        (int x, int y) = panel.CellCentre(row, column);
        SKColor actual = image.GetPixel(x, y);
        int distance = Math.Max(Math.Abs(actual.Red - expected.Red),
            Math.Max(Math.Abs(actual.Green - expected.Green), Math.Abs(actual.Blue - expected.Blue)));
        Assert.True(distance <= 3,
            $"Panel '{panel.Title}' cell ({row}, {column}) at pixel ({x}, {y}) is {actual}, expected {expected}.");
    }

    [Fact]
    public void The_png_decodes_to_the_figure_size()
    {
        var options = new TensorPlotOptions { Width = 640, Height = 480 };
        (TensorFigure figure, SKBitmap image) = Draw(new float[2 * 28 * 35], [2, 28, 35], options);
        using (image)
        {
            Assert.Equal((640, 480), (image.Width, image.Height));
            Assert.Equal((640, 480), (figure.Width, figure.Height));
            Assert.Equal("Array shape: (2, 28, 35)", figure.Title);
        }
    }

    [Fact]
    public void Rank_3_draws_one_titled_panel_per_channel_in_a_near_square_grid()
    {
        (TensorFigure figure, SKBitmap image) = Draw(new float[5 * 4 * 4], [5, 4, 4]);
        using (image)
        {
            Assert.Equal(["0-channel", "1-channel", "2-channel", "3-channel", "4-channel"], figure.Panels.Select(p => p.Title));
            // ceil(sqrt(5)) = 3 columns, so 2 rows: panels 0-2 share a top edge, 3-4 another below.
            Assert.Equal(3, figure.Panels.Select(p => Math.Round(p.Left)).Distinct().Count());
            Assert.Equal(2, figure.Panels.Select(p => Math.Round(p.Top)).Distinct().Count());
            Assert.True(figure.Panels[3].Top > figure.Panels[0].Bottom);
            AssertPanelsDisjointAndInside(figure);
        }
    }

    [Fact]
    public void Rank_4_draws_a_block_per_image_with_image_and_channel_titles()
    {
        (TensorFigure figure, SKBitmap image) = Draw(new float[2 * 3 * 4 * 4], [2, 3, 4, 4]);
        using (image)
        {
            Assert.Equal(
                ["0-Image 0-channel", "0-Image 1-channel", "0-Image 2-channel", "1-Image 0-channel", "1-Image 1-channel", "1-Image 2-channel"],
                figure.Panels.Select(p => p.Title));
            Assert.True(figure.Panels[3].Top > figure.Panels[2].Bottom, "image 1's block lies below image 0's");
            AssertPanelsDisjointAndInside(figure);
        }
    }

    [Fact]
    public void Known_values_take_jet_colours_in_every_panel_with_row_0_at_the_top()
    {
        // Two channels of 2 x 3 with different ranges: each panel is scaled to its own range.
        float[] values =
        [
            0f, 5f, 10f,
            10f, 10f, 0f,
            -3f, -2f, -1f,
            -1f, -1f, -3f,
        ];
        (TensorFigure figure, SKBitmap image) = Draw(values, [2, 2, 3]);
        using (image)
        {
            foreach (HeatmapPanel panel in figure.Panels)
            {
                AssertColour(JetLow, image, panel, 0, 0);
                AssertColour(JetMiddle, image, panel, 0, 1);
                AssertColour(JetHigh, image, panel, 0, 2);
                AssertColour(JetHigh, image, panel, 1, 0);
                AssertColour(JetLow, image, panel, 1, 2);
            }
        }
    }

    [Theory]
    [InlineData(new[] { 28, 35 }, 1200, 600)]  // wider than tall, in a wide figure
    [InlineData(new[] { 28, 35 }, 600, 1200)]  // wider than tall, in a tall figure
    [InlineData(new[] { 40, 10 }, 1000, 1000)] // tall and narrow
    [InlineData(new[] { 3, 28, 35 }, 1000, 1000)]
    public void Cells_are_square_whatever_the_shapes_of_the_map_and_the_figure(int[] shape, int width, int height)
    {
        int rows = shape[^2], columns = shape[^1];
        var values = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++) values[i] = i % 7;

        TensorFigure figure = TensorPlot.SavePng(values, shape, _folder.File("square.png"), new TensorPlotOptions { Width = width, Height = height });

        Assert.All(figure.Panels, panel =>
        {
            float across = (panel.Right - panel.Left) / columns, down = (panel.Bottom - panel.Top) / rows;
            Assert.InRange(across / down, 0.97, 1.03);
            Assert.True(across >= 4, $"cells of {across} pixels: the panel should fill its room in one direction");
        });
    }

    [Fact]
    public void A_vector_is_drawn_as_one_row()
    {
        (TensorFigure figure, SKBitmap image) = Draw([1f, 2f, 3f], [3]);
        using (image)
        {
            HeatmapPanel panel = Assert.Single(figure.Panels);
            Assert.Equal((1, 3), (panel.Rows, panel.Columns));
            Assert.Equal("Array shape: (3,)", figure.Title);
            AssertColour(JetLow, image, panel, 0, 0);
            AssertColour(JetMiddle, image, panel, 0, 1);
            AssertColour(JetHigh, image, panel, 0, 2);
        }
    }

    [Fact]
    public void Nan_and_infinite_cells_are_grey_and_stay_out_of_the_range()
    {
        (TensorFigure figure, SKBitmap image) = Draw([0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 2f, 1f], [2, 3]);
        using (image)
        {
            HeatmapPanel panel = Assert.Single(figure.Panels);
            AssertColour(JetLow, image, panel, 0, 0);
            AssertColour(NonFinite, image, panel, 0, 1);
            AssertColour(NonFinite, image, panel, 0, 2);
            AssertColour(NonFinite, image, panel, 1, 0);
            AssertColour(JetHigh, image, panel, 1, 1);
            AssertColour(JetMiddle, image, panel, 1, 2);
        }
    }

    [Fact]
    public void A_constant_tensor_draws_at_the_bottom_of_the_colormap()
    {
        (TensorFigure figure, SKBitmap image) = Draw([4f, 4f, 4f, 4f], [2, 2]);
        using (image)
        {
            AssertColour(JetLow, image, figure.Panels[0], 0, 0);
            AssertColour(JetLow, image, figure.Panels[0], 1, 1);
        }
    }

    [Fact]
    public void Normalize_and_image_style_layout_apply_to_the_figure()
    {
        // (H, W, C) = (1, 3, 2): channel 0 is 0, 1, 2 and channel 1 is 2, 1, 0 along the row.
        float[] hwc = [0f, 2f, 1f, 1f, 2f, 0f];
        var options = new TensorPlotOptions { Layout = TensorLayout.ChannelsLast, Normalize = true };
        (TensorFigure figure, SKBitmap image) = Draw(hwc, [1, 3, 2], options);
        using (image)
        {
            Assert.Equal("Array shape: (2, 1, 3)", figure.Title);
            Assert.Equal(2, figure.Panels.Count);
            AssertColour(JetLow, image, figure.Panels[0], 0, 0);
            AssertColour(JetHigh, image, figure.Panels[0], 0, 2);
            AssertColour(JetHigh, image, figure.Panels[1], 0, 0);
            AssertColour(JetLow, image, figure.Panels[1], 0, 2);
        }
    }

    [Fact]
    public void A_tensor_draws_like_its_values()
    {
        Tensor<float> tensor = Tensor.Create([0f, 5f, 10f], [1, 3]);
        string path = _folder.File("tensor.png");
        TensorFigure figure = TensorPlot.SavePng(tensor, path);
        using SKBitmap image = SKBitmap.Decode(path);
        AssertColour(JetLow, image, figure.Panels[0], 0, 0);
        AssertColour(JetHigh, image, figure.Panels[0], 0, 2);
    }

    private static void AssertPanelsDisjointAndInside(TensorFigure figure)
    {
        foreach (HeatmapPanel p in figure.Panels)
        {
            Assert.True(p.Left >= 0 && p.Top >= 0 && p.Right <= figure.Width && p.Bottom <= figure.Height && p.Left < p.Right && p.Top < p.Bottom,
                $"Panel '{p.Title}' ({p.Left}, {p.Top}, {p.Right}, {p.Bottom}) is not inside the {figure.Width} x {figure.Height} figure.");
        }
        for (int i = 0; i < figure.Panels.Count; i++)
        {
            for (int j = i + 1; j < figure.Panels.Count; j++)
            {
                HeatmapPanel a = figure.Panels[i], b = figure.Panels[j];
                bool overlap = a.Left < b.Right && b.Left < a.Right && a.Top < b.Bottom && b.Top < a.Bottom;
                Assert.False(overlap, $"Panels '{a.Title}' and '{b.Title}' overlap.");
            }
        }
    }
}
