using System.Numerics.Tensors;

namespace RepVgg.Visualization;

/// <summary>
/// Draws any float tensor of rank 1 to 4 as a grid of 'jet' heatmaps (PNG) and dumps it as text,
/// as the PyTorch <c>via(arr)</c> helper does.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Rank 1 is drawn as 1 x n, rank 2 as one heatmap, rank 3 (C, H, W) as ceil(sqrt(C))
/// columns of panels titled <c>{i}-channel</c>, rank 4 (N, C, H, W) as one such block per image
/// with panels titled <c>{j}-Image {i}-channel</c>. The figure title is the shape,
/// <c>Array shape: (2, 28, 35)</c>, and every panel has a colorbar. A matrix's cells are square, as imshow
/// draws them (a 28 x 35 map is wider than tall whatever the figure's size); a vector fills its panel.</item>
/// <item>NaN and infinite cells are drawn grey and written as <c>nan</c>, <c>inf</c>, <c>-inf</c>.</item>
/// <item>Image-style arrays, (H, W, C) and (H, W, C, N), are read with
/// <see cref="TensorLayout.ChannelsLast"/>; the shape printed is the reordered one.</item>
/// </list>
/// </remarks>
public static class TensorPlot
{
    /// <summary>Where the figure goes when no path is given.</summary>
    public const string DefaultPngPath = "array_out.png";

    /// <summary>Where the text goes when no path is given.</summary>
    public const string DefaultTextPath = "array_out.txt";

    /// <summary>Draws <paramref name="values"/>, laid out row-major over <paramref name="shape"/>, to a PNG.</summary>
    /// <returns>The figure's size and where each panel's cells are.</returns>
    /// <exception cref="ArgumentException">The rank is not 1 to 4, the tensor is empty, or the
    /// shape and the number of values disagree; the message names the shape.</exception>
    public static TensorFigure SavePng(ReadOnlySpan<float> values, ReadOnlySpan<int> shape, string path = DefaultPngPath, TensorPlotOptions? options = null)
    {
        options ??= TensorPlotOptions.Default;
        return HeatmapGridRenderer.Save(ShapedTensor.Create(values, Widen(shape), options), path, options);
    }

    /// <inheritdoc cref="SavePng(ReadOnlySpan{float}, ReadOnlySpan{int}, string, TensorPlotOptions?)"/>
    public static TensorFigure SavePng(ReadOnlyTensorSpan<float> tensor, string path = DefaultPngPath, TensorPlotOptions? options = null)
    {
        options ??= TensorPlotOptions.Default;
        return HeatmapGridRenderer.Save(ShapedTensor.Create(Flatten(tensor), Widen(tensor.Lengths), options), path, options);
    }

    /// <inheritdoc cref="SavePng(ReadOnlySpan{float}, ReadOnlySpan{int}, string, TensorPlotOptions?)"/>
    public static TensorFigure SavePng(TensorSpan<float> tensor, string path = DefaultPngPath, TensorPlotOptions? options = null) =>
        SavePng((ReadOnlyTensorSpan<float>)tensor, path, options);

    /// <inheritdoc cref="SavePng(ReadOnlySpan{float}, ReadOnlySpan{int}, string, TensorPlotOptions?)"/>
    public static TensorFigure SavePng(Tensor<float> tensor, string path = DefaultPngPath, TensorPlotOptions? options = null) =>
        SavePng(tensor.AsReadOnlyTensorSpan(), path, options);

    /// <summary>
    /// Writes <paramref name="values"/> as the Python via does: <c># Array shape: (…)</c>, then the
    /// matrices as <c>np.savetxt(fmt='%-7.3f')</c> writes them, with <c># {i}-th channel</c> and
    /// <c># {j}-th Image</c> headers for ranks 3 and 4. UTF-8, '\n' line ends.
    /// </summary>
    /// <exception cref="ArgumentException">The rank is not 1 to 4, the tensor is empty, or the
    /// shape and the number of values disagree; the message names the shape.</exception>
    public static void SaveText(ReadOnlySpan<float> values, ReadOnlySpan<int> shape, string path = DefaultTextPath, TensorPlotOptions? options = null) =>
        File.WriteAllText(path, FormatText(values, shape, options));

    /// <inheritdoc cref="SaveText(ReadOnlySpan{float}, ReadOnlySpan{int}, string, TensorPlotOptions?)"/>
    public static void SaveText(ReadOnlyTensorSpan<float> tensor, string path = DefaultTextPath, TensorPlotOptions? options = null) =>
        File.WriteAllText(path, FormatText(tensor, options));

    /// <inheritdoc cref="SaveText(ReadOnlySpan{float}, ReadOnlySpan{int}, string, TensorPlotOptions?)"/>
    public static void SaveText(TensorSpan<float> tensor, string path = DefaultTextPath, TensorPlotOptions? options = null) =>
        SaveText((ReadOnlyTensorSpan<float>)tensor, path, options);

    /// <inheritdoc cref="SaveText(ReadOnlySpan{float}, ReadOnlySpan{int}, string, TensorPlotOptions?)"/>
    public static void SaveText(Tensor<float> tensor, string path = DefaultTextPath, TensorPlotOptions? options = null) =>
        SaveText(tensor.AsReadOnlyTensorSpan(), path, options);

    /// <summary>The text <see cref="SaveText(ReadOnlySpan{float}, ReadOnlySpan{int}, string, TensorPlotOptions?)"/> writes.</summary>
    public static string FormatText(ReadOnlySpan<float> values, ReadOnlySpan<int> shape, TensorPlotOptions? options = null) =>
        TensorTextWriter.Format(ShapedTensor.Create(values, Widen(shape), options ?? TensorPlotOptions.Default));

    /// <inheritdoc cref="FormatText(ReadOnlySpan{float}, ReadOnlySpan{int}, TensorPlotOptions?)"/>
    public static string FormatText(ReadOnlyTensorSpan<float> tensor, TensorPlotOptions? options = null) =>
        TensorTextWriter.Format(ShapedTensor.Create(Flatten(tensor), Widen(tensor.Lengths), options ?? TensorPlotOptions.Default));

    private static long[] Widen(ReadOnlySpan<int> shape)
    {
        var wide = new long[shape.Length];
        for (int i = 0; i < shape.Length; i++) wide[i] = shape[i];
        return wide;
    }

    private static long[] Widen(ReadOnlySpan<nint> shape)
    {
        var wide = new long[shape.Length];
        for (int i = 0; i < shape.Length; i++) wide[i] = shape[i];
        return wide;
    }

    /// <summary>The values in row-major order, whatever the span's strides.</summary>
    private static float[] Flatten(ReadOnlyTensorSpan<float> tensor)
    {
        if (tensor.FlattenedLength > Array.MaxLength)
        {
            throw new ArgumentException($"A tensor of {tensor.FlattenedLength} values is too large to draw.", nameof(tensor));
        }
        var values = new float[tensor.FlattenedLength];
        tensor.FlattenTo(values);
        return values;
    }
}
