using ScottPlot;

namespace RepVgg.Visualization;

/// <summary>
/// Matplotlib's 'jet': its piecewise-linear segment data sampled into a 256-entry table, and a
/// value in [0, 1] picks entry floor(value * 256) (1 picks the last), as matplotlib's
/// <c>Colormap.__call__</c> does. ScottPlot's own Jet is a different table, so it is not used.
/// </summary>
internal sealed class JetColormap : IColormap
{
    // (x, value) breakpoints per channel, from matplotlib's _cm._jet_data.
    private static readonly (double X, double Y)[] Red = [(0, 0), (0.35, 0), (0.66, 1), (0.89, 1), (1, 0.5)];
    private static readonly (double X, double Y)[] Green = [(0, 0), (0.125, 0), (0.375, 1), (0.64, 1), (0.91, 0), (1, 0)];
    private static readonly (double X, double Y)[] Blue = [(0, 0.5), (0.11, 1), (0.34, 1), (0.65, 0), (1, 0)];

    private static readonly Color[] Table = Enumerable.Range(0, 256)
        .Select(i => i / 255.0)
        .Select(x => new Color(ToByte(Interpolate(Red, x)), ToByte(Interpolate(Green, x)), ToByte(Interpolate(Blue, x))))
        .ToArray();

    public string Name => "jet";

    /// <summary>The colour of a value already scaled to [0, 1]; values outside are clipped.</summary>
    public Color GetColor(double normalized)
    {
        if (double.IsNaN(normalized)) return Colors.Transparent;
        int index = (int)Math.Clamp(Math.Floor(normalized * 256), 0, 255);
        return Table[index];
    }

    private static double Interpolate((double X, double Y)[] points, double x)
    {
        for (int i = 1; i < points.Length; i++)
        {
            if (x <= points[i].X)
            {
                (double x0, double y0) = points[i - 1];
                (double x1, double y1) = points[i];
                return y0 + ((y1 - y0) * (x - x0) / (x1 - x0));
            }
        }
        return points[^1].Y;
    }

    private static byte ToByte(double unit) => (byte)Math.Round(Math.Clamp(unit, 0, 1) * 255);
}
