using System.Collections.Generic;

namespace RepVgg.Manifest;

/// <summary>
/// The height and width of one layer's input and output activations, for an input image of a given size.
/// The one place the network's spatial shapes are worked out: the weights step plans each layer's
/// algorithm for them and the generator declares and comments them.
/// </summary>
/// <param name="InHeight">Height of the layer's input.</param>
/// <param name="InWidth">Width of the layer's input.</param>
/// <param name="OutHeight">Height of its output.</param>
/// <param name="OutWidth">Width of its output.</param>
public sealed record LayerShape(int InHeight, int InWidth, int OutHeight, int OutWidth)
{
    /// <summary>The shape of a 3x3 convolution with padding 1 and <paramref name="stride"/> on an input of <paramref name="inHeight"/> x <paramref name="inWidth"/>.</summary>
    public static LayerShape Of(int inHeight, int inWidth, int stride) =>
        new(inHeight, inWidth, OutputSize(inHeight, stride), OutputSize(inWidth, stride));

    /// <summary>Every layer's shape in order, for an input image of <paramref name="inputHeight"/> x <paramref name="inputWidth"/>.</summary>
    public static IReadOnlyList<LayerShape> Of(ModelManifest manifest, int inputHeight, int inputWidth)
    {
        var shapes = new List<LayerShape>(manifest.Layers.Count);
        int height = inputHeight, width = inputWidth;
        foreach (ManifestLayer layer in manifest.Layers)
        {
            LayerShape shape = Of(height, width, layer.Stride);
            shapes.Add(shape);
            (height, width) = (shape.OutHeight, shape.OutWidth);
        }
        return shapes;
    }

    // floor((size + 2 * padding - kernel) / stride) + 1 with kernel 3, padding 1.
    private static int OutputSize(int size, int stride) => (size - 1) / stride + 1;
}
