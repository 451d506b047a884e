using System.Numerics.Tensors;
using RepVgg.Visualization;

namespace RepVgg.Visualization.Tests;

/// <summary>The text dump against files written by NumPy (Expected/make_expected.py), byte for byte.</summary>
public sealed class TensorTextTests
{
    /// <summary>make_expected.py's ramp: (k * 37 % 23 - 11) * 0.4375 + 0.0625 * k, as float32.</summary>
    private static float[] Ramp(params int[] shape)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        return Enumerable.Range(0, count).Select(k => (float)((((k * 37) % 23) - 11) * 0.4375 + (0.0625 * k))).ToArray();
    }

    private static string Expected(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Expected", name));

    public static TheoryData<string, int[]> Ranks => new()
    {
        { "rank1.txt", [5] },
        { "rank2.txt", [3, 4] },
        { "rank3.txt", [2, 3, 4] },
        { "rank4.txt", [2, 3, 2, 3] },
    };

    [Theory]
    [MemberData(nameof(Ranks))]
    public void Each_rank_matches_numpy_savetxt(string file, int[] shape)
    {
        Assert.Equal(Expected(file), TensorPlot.FormatText(Ramp(shape), shape));
    }

    [Fact]
    public void Nan_infinities_ties_and_wide_values_match_numpy_savetxt()
    {
        float[] values =
        [
            float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0.0001f,
            0.0625f, 0.1875f, 2.0005f, 123456.789f,
            -1234.5f, 1e-8f, -0.0f, 100.0f,
        ];
        Assert.Equal(Expected("nan_inf.txt"), TensorPlot.FormatText(values, [3, 4]));
    }

    [Fact]
    public void Save_text_writes_the_same_bytes_to_the_file()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("array_out.txt");
        TensorPlot.SaveText(Ramp(2, 3, 4), [2, 3, 4], path);
        Assert.Equal(Expected("rank3.txt"), File.ReadAllText(path));
    }

    [Fact]
    public void Tensors_and_tensor_spans_write_as_their_values_do()
    {
        float[] values = Ramp(2, 3, 2, 3);
        Tensor<float> tensor = Tensor.Create(values, [2, 3, 2, 3]);
        Assert.Equal(Expected("rank4.txt"), TensorPlot.FormatText(tensor));
        TensorSpan<float> span = tensor.AsTensorSpan();
        Assert.Equal(Expected("rank4.txt"), TensorPlot.FormatText(span));
    }

    [Fact]
    public void A_strided_tensor_span_is_written_in_its_logical_order()
    {
        // The transpose of a (4, 3) tensor is a non-contiguous (3, 4) view of the same memory.
        float[] rowMajor34 = Ramp(3, 4);
        float[] transposed = new float[12];
        for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) transposed[(c * 3) + r] = rowMajor34[(r * 4) + c];
        var view = new ReadOnlyTensorSpan<float>(transposed, [3, 4], [1, 3]);
        Assert.Equal(Expected("rank2.txt"), TensorPlot.FormatText(view));
    }

    [Fact]
    public void Image_style_hwc_is_reordered_to_chw()
    {
        float[] chw = Ramp(2, 3, 4);
        var hwc = new float[chw.Length];
        for (int c = 0; c < 2; c++) for (int h = 0; h < 3; h++) for (int w = 0; w < 4; w++)
            hwc[(((h * 4) + w) * 2) + c] = chw[(((c * 3) + h) * 4) + w];
        var options = new TensorPlotOptions { Layout = TensorLayout.ChannelsLast };
        Assert.Equal(Expected("rank3.txt"), TensorPlot.FormatText(hwc, [3, 4, 2], options));
    }

    [Fact]
    public void Image_style_hwcn_is_reordered_to_nchw()
    {
        const int N = 2, C = 3, H = 2, W = 3;
        float[] nchw = Ramp(N, C, H, W);
        var hwcn = new float[nchw.Length];
        for (int n = 0; n < N; n++) for (int c = 0; c < C; c++) for (int h = 0; h < H; h++) for (int w = 0; w < W; w++)
            hwcn[(((((h * W) + w) * C) + c) * N) + n] = nchw[(((((n * C) + c) * H) + h) * W) + w];
        var options = new TensorPlotOptions { Layout = TensorLayout.ChannelsLast };
        Assert.Equal(Expected("rank4.txt"), TensorPlot.FormatText(hwcn, [H, W, C, N], options));
    }

    [Fact]
    public void Normalize_maps_to_zero_one_and_leaves_a_constant_tensor_at_zero()
    {
        var options = new TensorPlotOptions { Normalize = true };
        Assert.Equal("# Array shape: (4,)\n0.000  \n0.250  \n1.000  \nnan    \n",
            TensorPlot.FormatText([-2f, -1f, 2f, float.NaN], [4], options));
        Assert.Equal("# Array shape: (1, 2)\n0.000   0.000  \n",
            TensorPlot.FormatText([7f, 7f], [1, 2], options));
    }

    public static TheoryData<int[], int, string> BadShapes => new()
    {
        { [], 1, "()" },
        { [1, 1, 1, 1, 1], 1, "(1, 1, 1, 1, 1)" },
        { [2, 3], 5, "(2, 3)" },
        { [2, 0, 3], 0, "(2, 0, 3)" },
        { [-1], 1, "(-1,)" },
    };

    [Theory]
    [MemberData(nameof(BadShapes))]
    public void Bad_input_names_the_shape(int[] shape, int count, string shapeText)
    {
        var error = Assert.Throws<ArgumentException>(() => TensorPlot.FormatText(new float[count], shape));
        Assert.Contains(shapeText, error.Message);
        Assert.Throws<ArgumentException>(() => TensorPlot.SavePng(new float[count], shape, "never-written.png"));
        Assert.False(File.Exists("never-written.png"));
    }
}
