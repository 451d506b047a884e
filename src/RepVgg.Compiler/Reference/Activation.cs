namespace RepVgg.Compiler.Reference;

/// <summary>A float64 activation in NCHW layout.</summary>
/// <param name="Data">(Batch, Channels, Height, Width), row-major.</param>
public sealed record Activation(double[] Data, int Batch, int Channels, int Height, int Width)
{
    public static Activation Zeros(int batch, int channels, int height, int width) =>
        new(new double[(long)batch * channels * height * width], batch, channels, height, width);

    /// <summary>Widens a float32 NCHW batch.</summary>
    public static Activation FromFloats(ReadOnlySpan<float> data, int batch, int channels, int height, int width)
    {
        if (data.Length != batch * channels * height * width)
            throw new ArgumentException($"Expected {batch} x {channels} x {height} x {width} floats; found {data.Length}.", nameof(data));
        var values = new double[data.Length];
        for (int i = 0; i < data.Length; i++) values[i] = data[i];
        return new Activation(values, batch, channels, height, width);
    }

    public int PlaneLength => Height * Width;

    /// <summary>Offset of plane (n, c).</summary>
    public int Plane(int n, int c) => (n * Channels + c) * PlaneLength;
}
