using System.Globalization;
using System.Net;
using System.Numerics.Tensors;
using System.Text;
using Classify;
using RepVgg.Visualization;
using Visualize;

// (a) The via(arr) example: a random 2 x 28 x 35 tensor, as a figure and as text, in the working directory.
var random = new Random(2021);
float[] example = Enumerable.Range(0, 2 * 28 * 35).Select(_ => (float)random.NextDouble()).ToArray();
TensorFigure figure = TensorPlot.SavePng(example, [2, 28, 35]);
TensorPlot.SaveText(example, [2, 28, 35]);
Console.WriteLine($"via example: {Path.GetFullPath(figure.Path)} ({figure.Width} x {figure.Height}, {figure.Title}) and {Path.GetFullPath(TensorPlot.DefaultTextPath)}");

// (b) Every layer of the compiled RepVGG-A0 (generated from the checkpoint in Visualize.csproj) on one image:
//     the input, the first 16 channels of each layer's output, and the logits, with an index.html in order.
string folder = Path.GetFullPath("activations");
Directory.CreateDirectory(folder);
float[] image = TestImage.Create(RepVggA0.InputHeight, RepVggA0.InputWidth);
var pages = new List<Page>();
int[] inputShape = [RepVggA0.InputChannels, RepVggA0.InputHeight, RepVggA0.InputWidth];
pages.Add(Page.Heatmaps(folder, "00-input.png", "input", inputShape, image, inputShape));

var logits = new float[RepVggA0.ClassCount];
using (RepVggA0 network = RepVggA0.Create())
{
    network.Infer(image, logits, layer =>
    {
        // Image 0's first 16 channels: enough to see what a layer responds to, small enough to read.
        int channels = Math.Min(16, layer.Channels), plane = layer.Height * layer.Width;
        ReadOnlySpan<float> shown = layer.Values[..(channels * plane)];
        pages.Add(Page.Heatmaps(folder, $"{pages.Count:D2}-{layer.Name}.png", layer.Name,
            [layer.Batch, layer.Channels, layer.Height, layer.Width], shown, [channels, layer.Height, layer.Width]));
    });
}
pages.Add(Page.Bars(folder, $"{pages.Count:D2}-logits.png", "logits", logits));

string index = Path.Combine(folder, "index.html");
File.WriteAllText(index, Page.Index("RepVGG-A0, layer by layer", pages));
Console.WriteLine($"activations: {pages.Count} figures and {index} (RepVGG-A0 with synthetic, random weights: the activations show the network's shapes, not learned features)");

namespace Visualize
{
    /// <summary>One figure of the activation report: what it shows, its file, the full shape and the value range.</summary>
    internal sealed record Page(string Title, string File, string Shape, float Min, float Max)
    {
        public static Page Heatmaps(string folder, string file, string title, int[] fullShape, ReadOnlySpan<float> values, int[] shownShape)
        {
            TensorPlot.SavePng(values, shownShape, Path.Combine(folder, file), new TensorPlotOptions { Width = 1200, Height = 1200 });
            return new Page(title, file, FormatShape(fullShape), TensorPrimitives.Min(values), TensorPrimitives.Max(values));
        }

        public static Page Bars(string folder, string file, string title, float[] values)
        {
            var plot = new ScottPlot.Plot();
            plot.Add.Bars(values.Select(v => (double)v).ToArray());
            plot.Title($"{title}: {values.Length} classes");
            plot.XLabel("class");
            plot.SavePng(Path.Combine(folder, file), 1200, 500);
            return new Page(title, file, FormatShape([values.Length]), TensorPrimitives.Min(values), TensorPrimitives.Max(values));
        }

        public static string Index(string heading, IEnumerable<Page> pages)
        {
            var html = new StringBuilder()
                .AppendLine("<!DOCTYPE html>")
                .AppendLine($"<html><head><meta charset=\"utf-8\"><title>{WebUtility.HtmlEncode(heading)}</title>")
                .AppendLine("<style>body{font-family:sans-serif;margin:2em} img{max-width:100%;border:1px solid #ccc} section{margin-bottom:3em}</style></head><body>")
                .AppendLine($"<h1>{WebUtility.HtmlEncode(heading)}</h1>");
            foreach (Page page in pages)
            {
                html.AppendLine(CultureInfo.InvariantCulture,
                    $"<section><h2>{WebUtility.HtmlEncode(page.Title)}</h2><p>shape {page.Shape}, values {page.Min:G4} to {page.Max:G4}</p>" +
                    $"<img src=\"{WebUtility.HtmlEncode(page.File)}\" alt=\"{WebUtility.HtmlEncode(page.Title)}\"></section>");
            }
            return html.AppendLine("</body></html>").ToString();
        }

        private static string FormatShape(int[] shape) => string.Join(" x ", shape);
    }
}
