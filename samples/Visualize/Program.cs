using System.Globalization;
using System.Net;
using System.Numerics.Tensors;
using System.Text;
using FashionMnist;
using RepVgg.Visualization;
using SkiaSharp;
using Visualize;

// (a) The via(arr) example: a random 2 x 28 x 35 tensor, as a figure and as text, in the working directory.
var random = new Random(2021);
float[] example = Enumerable.Range(0, 2 * 28 * 35).Select(_ => (float)random.NextDouble()).ToArray();
TensorFigure figure = TensorPlot.SavePng(example, [2, 28, 35]);
TensorPlot.SaveText(example, [2, 28, 35]);
Console.WriteLine($"via example: {Path.GetFullPath(figure.Path)} ({figure.Width} x {figure.Height}, {figure.Title}) and {Path.GetFullPath(TensorPlot.DefaultTextPath)}");

// (b) Every layer of the network trained on Fashion-MNIST (generated from the FashionMnist sample's checkpoint) on one
//     test image: the picture, the first 16 channels of each layer's output with its statistics, and the classes.
const int ImageIndex = 0;
FashionMnistTestSet testSet = FashionMnistTestSet.Load(Path.Combine(AppContext.BaseDirectory, "data"));
float[] image = testSet.Preprocess().AsSpan(ImageIndex * FashionMnistTestSet.ImageLength, FashionMnistTestSet.ImageLength).ToArray();
string folder = Path.GetFullPath("activations");
Directory.CreateDirectory(folder);
Report.Picture(testSet.Pixels.AsSpan(ImageIndex * FashionMnistTestSet.ImageLength, FashionMnistTestSet.ImageLength),
    FashionMnistTestSet.ImageSize, Path.Combine(folder, "input.png"));

var layers = new List<LayerPage>();
var logits = new float[FashionRepVgg.ClassCount];
using (FashionRepVgg network = FashionRepVgg.Create(RepVgg.Backend.Cpu))
{
    network.Infer(image, logits, layer =>
    {
        // The first 16 channels: enough to see what a layer responds to, small enough to read. Statistics over all of them.
        int channels = Math.Min(16, layer.Channels), plane = layer.Height * layer.Width;
        string file = $"{layers.Count + 1:D2}-{layer.Name}.png";
        TensorPlot.SavePng(layer.Values[..(channels * plane)], [channels, layer.Height, layer.Width], Path.Combine(folder, file),
            Report.FigureSize(channels, layer.Height, layer.Width));
        layers.Add(LayerPage.Of(layer.Name, file, [layer.Channels, layer.Height, layer.Width], channels, layer.Values));
    });
}
Report.Logits(logits, FashionMnistTestSet.ClassNames, Path.Combine(folder, "logits.png"));

var top5 = Report.Top(logits, 5);
string truth = FashionMnistTestSet.ClassNames[testSet.Labels[ImageIndex]];
string index = Path.Combine(folder, "index.html");
File.WriteAllText(index, Report.Html(truth, top5.Select(t => (FashionMnistTestSet.ClassNames[t.Class], t.Probability)).ToList(), layers));
Console.WriteLine($"activations: test image {ImageIndex} ({truth}): " +
    string.Join(", ", top5.Select(t => $"{FashionMnistTestSet.ClassNames[t.Class]} {t.Probability:P2}")));
Console.WriteLine($"activations: {layers.Count} layers drawn, {index}");

namespace Visualize
{
    /// <summary>One layer of the report: its figure, its shape, and statistics over its whole output.</summary>
    internal sealed record LayerPage(string Name, string File, string Shape, int ChannelsShown, double Mean, double Std, double Zeros, float Min, float Max)
    {
        public static LayerPage Of(string name, string file, int[] shape, int channelsShown, ReadOnlySpan<float> values)
        {
            double sum = 0, squares = 0;
            int zeros = 0;
            foreach (float v in values)
            {
                sum += v;
                squares += (double)v * v;
                if (v == 0) zeros++;
            }
            double mean = sum / values.Length;
            return new LayerPage(name, file, string.Join(" x ", shape), channelsShown, mean, Math.Sqrt(Math.Max(squares / values.Length - mean * mean, 0)),
                (double)zeros / values.Length, TensorPrimitives.Min(values), TensorPrimitives.Max(values));
        }
    }

    internal static class Report
    {
        private const int FigureWidth = 900;

        /// <summary>A figure as wide as <see cref="FigureWidth"/> and as tall as its panels' square cells need.</summary>
        public static TensorPlotOptions FigureSize(int channels, int height, int width)
        {
            int columns = (int)Math.Ceiling(Math.Sqrt(channels)), rows = (channels + columns - 1) / columns;
            // Each panel keeps 140 pixels across for tick labels and its colorbar and 55 down for its title and ticks.
            double panelHeight = ((FigureWidth / (double)columns) - 140) * height / width + 55;
            return new TensorPlotOptions { Width = FigureWidth, Height = Math.Max(100, (int)(48 + rows * panelHeight)) };
        }

        /// <summary>The grey-level picture, each pixel drawn as a 10 x 10 square.</summary>
        public static void Picture(ReadOnlySpan<byte> pixels, int size, string path)
        {
            const int Scale = 10;
            using var bitmap = new SKBitmap(size, size, SKColorType.Gray8, SKAlphaType.Opaque);
            pixels.CopyTo(bitmap.GetPixelSpan());
            using var surface = SKSurface.Create(new SKImageInfo(size * Scale, size * Scale));
            using var image = SKImage.FromBitmap(bitmap);
            surface.Canvas.DrawImage(image, new SKRect(0, 0, size * Scale, size * Scale), new SKSamplingOptions(SKFilterMode.Nearest));
            Save(surface, path);
        }

        /// <summary>One labelled bar per class.</summary>
        public static void Logits(float[] logits, IReadOnlyList<string> classes, string path)
        {
            var plot = new ScottPlot.Plot();
            plot.Add.Bars(logits.Select(v => (double)v).ToArray());
            plot.Axes.Bottom.SetTicks(Enumerable.Range(0, classes.Count).Select(c => (double)c).ToArray(), [.. classes]);
            plot.Title("logits");
            plot.SavePng(path, FigureWidth, 400);
        }

        /// <summary>The <paramref name="count"/> most probable classes and their softmax probabilities.</summary>
        public static (int Class, double Probability)[] Top(float[] logits, int count)
        {
            double max = logits.Max();
            double[] exp = logits.Select(v => Math.Exp(v - max)).ToArray();
            double total = exp.Sum();
            return [.. Enumerable.Range(0, logits.Length).OrderByDescending(c => logits[c]).Take(count).Select(c => (c, exp[c] / total))];
        }

        public static string Html(string truth, IReadOnlyList<(string Name, double Probability)> top5, IReadOnlyList<LayerPage> layers)
        {
            static string E(string text) => WebUtility.HtmlEncode(text);
            var html = new StringBuilder();
            html.AppendLine("<!DOCTYPE html>")
                .AppendLine("<html><head><meta charset=\"utf-8\"><title>A RepVGG trained on Fashion-MNIST, layer by layer</title><style>")
                .AppendLine("body{font-family:system-ui,sans-serif;margin:2em auto;max-width:960px;color:#222;line-height:1.4}")
                .AppendLine("table{border-collapse:collapse;margin:1em 0}td,th{padding:.25em .75em;border-bottom:1px solid #ddd;text-align:right}")
                .AppendLine("td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #ccc}")
                .AppendLine("section{margin:3em 0}nav a{margin-right:.75em}.picture{image-rendering:pixelated;width:280px}")
                .AppendLine("</style></head><body>")
                .AppendLine("<h1>A RepVGG trained on Fashion-MNIST, layer by layer</h1>")
                .AppendLine($"<p>Test image 0 (true class: <b>{E(truth)}</b>), as the network sees it: 1 x 28 x 28, then each layer's " +
                    "output after its ReLU. Figures show the first 16 channels, each with its own colour scale; the table gives statistics over all channels.</p>")
                .AppendLine("<img class=\"picture\" src=\"input.png\" alt=\"the input picture\">")
                .AppendLine("<h2>Top 5</h2><table><tr><th>class</th><th>probability</th></tr>");
            foreach (var (name, probability) in top5)
                html.AppendLine(CultureInfo.InvariantCulture, $"<tr><td>{E(name)}</td><td>{probability:P2}</td></tr>");
            html.AppendLine("</table><img src=\"logits.png\" alt=\"logits per class\">")
                .AppendLine("<h2>Layers</h2><nav>" + string.Concat(layers.Select(l => $"<a href=\"#{E(l.Name)}\">{E(l.Name)}</a>")) + "</nav>")
                .AppendLine("<table><tr><th>layer</th><th>C x H x W</th><th>mean</th><th>std</th><th>zeros</th><th>min</th><th>max</th></tr>");
            foreach (LayerPage l in layers)
            {
                html.AppendLine(CultureInfo.InvariantCulture,
                    $"<tr><td><a href=\"#{E(l.Name)}\">{E(l.Name)}</a></td><td>{l.Shape}</td><td>{l.Mean:G3}</td><td>{l.Std:G3}</td><td>{l.Zeros:P0}</td><td>{l.Min:G3}</td><td>{l.Max:G3}</td></tr>");
            }
            html.AppendLine("</table>");
            foreach (LayerPage l in layers)
            {
                html.AppendLine(CultureInfo.InvariantCulture,
                    $"<section id=\"{E(l.Name)}\"><h3>{E(l.Name)}: {l.Shape}</h3><p>mean {l.Mean:G3}, standard deviation {l.Std:G3}, " +
                    $"{l.Zeros:P0} zeros after the ReLU; first {l.ChannelsShown} channels shown.</p><img src=\"{E(l.File)}\" alt=\"{E(l.Name)}\"></section>");
            }
            return html.AppendLine("</body></html>").ToString();
        }

        private static void Save(SKSurface surface, string path)
        {
            using SKImage snapshot = surface.Snapshot();
            using SKData png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
            using FileStream file = File.Create(path);
            png.SaveTo(file);
        }
    }
}
