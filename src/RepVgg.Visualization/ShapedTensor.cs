using System.Globalization;

namespace RepVgg.Visualization;

/// <summary>
/// A checked, contiguous copy of the tensor to draw, in PyTorch order: (n), (H, W), (C, H, W) or
/// (N, C, H, W), already reordered from an image-style layout and normalised if asked.
/// </summary>
internal sealed class ShapedTensor
{
    private ShapedTensor(float[] values, int[] shape)
    {
        Values = values;
        Shape = shape;
    }

    /// <summary>The values, row-major over <see cref="Shape"/>.</summary>
    public float[] Values { get; }

    /// <summary>The dimensions, outermost first.</summary>
    public int[] Shape { get; }

    public int Rank => Shape.Length;

    /// <summary>Images (rank 4), else 1.</summary>
    public int Images => Rank == 4 ? Shape[0] : 1;

    /// <summary>Channels per image (ranks 3 and 4), else 1.</summary>
    public int Channels => Rank >= 3 ? Shape[Rank - 3] : 1;

    /// <summary>Rows of one matrix: 1 for rank 1, as the figure draws a vector as 1 x n.</summary>
    public int Rows => Rank == 1 ? 1 : Shape[Rank - 2];

    public int Columns => Shape[Rank - 1];

    /// <summary>The (image, channel) matrix, Rows x Columns, row-major.</summary>
    public ReadOnlySpan<float> Matrix(int image, int channel) =>
        Values.AsSpan(((image * Channels) + channel) * Rows * Columns, Rows * Columns);

    /// <summary>The shape as Python's <c>str(arr.shape)</c> writes it: <c>(2, 28, 35)</c>, <c>(5,)</c>.</summary>
    public string ShapeText => FormatShape(Shape.Select(d => (long)d).ToArray());

    public static string FormatShape(ReadOnlySpan<long> shape) => shape.Length switch
    {
        0 => "()",
        1 => string.Create(CultureInfo.InvariantCulture, $"({shape[0]},)"),
        _ => "(" + string.Join(", ", shape.ToArray().Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
    };

    /// <summary>Checks the shape against the values, reorders an image-style tensor and normalises.</summary>
    /// <exception cref="ArgumentException">The rank is not 1 to 4, a dimension is not positive, or
    /// the number of values is not the product of the shape.</exception>
    public static ShapedTensor Create(ReadOnlySpan<float> values, ReadOnlySpan<long> shape, TensorPlotOptions options)
    {
        string shapeText = FormatShape(shape);
        if (shape.Length is < 1 or > 4)
        {
            throw new ArgumentException(
                $"A tensor of shape {shapeText} (rank {shape.Length}) cannot be drawn: the rank must be 1 to 4.",
                nameof(shape));
        }
        long count = 1;
        foreach (long d in shape)
        {
            if (d <= 0)
            {
                throw new ArgumentException(
                    $"A tensor of shape {shapeText} cannot be drawn: every dimension must be at least 1 (the tensor is empty).",
                    nameof(shape));
            }
            count *= d;
            if (count > Array.MaxLength)
            {
                throw new ArgumentException($"A tensor of shape {shapeText} is too large to draw.", nameof(shape));
            }
        }
        if (count != values.Length)
        {
            throw new ArgumentException(
                $"The shape {shapeText} holds {count} values but {values.Length} were given.", nameof(values));
        }

        int[] dims = shape.ToArray().Select(d => (int)d).ToArray();
        float[] copy;
        if (options.Layout == TensorLayout.ChannelsLast && dims.Length >= 3)
        {
            // NumPy's transpose(2, 0, 1) for (H, W, C) and transpose(3, 2, 0, 1) for (H, W, C, N).
            int[] axes = dims.Length == 3 ? [2, 0, 1] : [3, 2, 0, 1];
            (copy, dims) = Transpose(values, dims, axes);
        }
        else
        {
            copy = values.ToArray();
        }
        if (options.Normalize)
        {
            NormalizeInPlace(copy);
        }
        return new ShapedTensor(copy, dims);
    }

    /// <summary>out[i0, i1, ...] = in[...] with out axis k being in axis axes[k].</summary>
    private static (float[] Values, int[] Shape) Transpose(ReadOnlySpan<float> values, int[] shape, int[] axes)
    {
        int rank = shape.Length;
        var inStrides = new int[rank];
        inStrides[rank - 1] = 1;
        for (int k = rank - 2; k >= 0; k--) inStrides[k] = inStrides[k + 1] * shape[k + 1];
        int[] outShape = axes.Select(a => shape[a]).ToArray();
        int[] strides = axes.Select(a => inStrides[a]).ToArray();

        var result = new float[values.Length];
        var index = new int[rank];
        for (int o = 0; o < result.Length; o++)
        {
            int source = 0;
            for (int k = 0; k < rank; k++) source += index[k] * strides[k];
            result[o] = values[source];
            for (int k = rank - 1; k >= 0 && ++index[k] == outShape[k]; k--) index[k] = 0;
        }
        return (result, outShape);
    }

    /// <summary>The Python via's norm: a -= a.min(); a /= max(a.max(), 1e-6), over the finite values.</summary>
    private static void NormalizeInPlace(float[] values)
    {
        if (!FiniteRange(values, out float min, out _)) return;
        float max = float.NegativeInfinity;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] -= min;
            if (float.IsFinite(values[i])) max = Math.Max(max, values[i]);
        }
        float scale = Math.Max(max, 1e-6f);
        for (int i = 0; i < values.Length; i++) values[i] /= scale;
    }

    /// <summary>The smallest and largest finite values; false when there are none.</summary>
    public static bool FiniteRange(ReadOnlySpan<float> values, out float min, out float max)
    {
        min = float.PositiveInfinity;
        max = float.NegativeInfinity;
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) continue;
            if (v < min) min = v;
            if (v > max) max = v;
        }
        return min <= max;
    }
}
