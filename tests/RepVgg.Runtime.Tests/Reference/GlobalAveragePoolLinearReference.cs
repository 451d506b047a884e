namespace RepVgg.Runtime.Tests.Reference;

/// <summary>The plain scalar global average pooling + linear classifier, in double.</summary>
internal static class GlobalAveragePoolLinearReference
{
    /// <summary>
    /// <paramref name="input"/> is (batch, features, height, width), <paramref name="weight"/> (classes, features)
    /// row-major; returns (batch, classes) logits.
    /// </summary>
    public static float[] Compute(float[] input, int batch, int features, int height, int width, float[] weight, float[] bias, int classes)
    {
        int plane = height * width;
        var logits = new float[batch * classes];
        for (int n = 0; n < batch; n++)
        {
            var pooled = new double[features];
            for (int c = 0; c < features; c++)
            {
                double sum = 0;
                for (int p = 0; p < plane; p++)
                    sum += input[(n * features + c) * plane + p];
                pooled[c] = sum / plane;
            }
            for (int k = 0; k < classes; k++)
            {
                double sum = bias[k];
                for (int c = 0; c < features; c++)
                    sum += weight[k * features + c] * pooled[c];
                logits[n * classes + k] = (float)sum;
            }
        }
        return logits;
    }
}
