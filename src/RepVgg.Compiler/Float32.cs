namespace RepVgg.Compiler;

/// <summary>The one place float64 values become the float32 a blob or checkpoint stores.</summary>
public static class Float32
{
    /// <summary>Each value rounded to the nearest float32.</summary>
    public static float[] Round(double[] values)
    {
        var floats = new float[values.Length];
        for (int i = 0; i < values.Length; i++) floats[i] = (float)values[i];
        return floats;
    }
}
