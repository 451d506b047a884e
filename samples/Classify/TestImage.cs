namespace Classify;

/// <summary>A deterministic stand-in for a photo, so the sample needs no image file.</summary>
internal static class TestImage
{
    /// <summary>
    /// A 3 x H x W image (CHW): smooth colour gradients with a bright disc, normalised with the
    /// ImageNet mean and standard deviation as RepVGG's training pipeline does.
    /// </summary>
    public static float[] Create(int height, int width)
    {
        ReadOnlySpan<float> mean = [0.485f, 0.456f, 0.406f];
        ReadOnlySpan<float> std = [0.229f, 0.224f, 0.225f];
        var image = new float[3 * height * width];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                float u = (float)x / width, v = (float)y / height;
                bool disc = (u - 0.6f) * (u - 0.6f) + (v - 0.4f) * (v - 0.4f) < 0.05f;
                Span<float> rgb = [disc ? 0.95f : u, disc ? 0.85f : v, disc ? 0.2f : 1 - u * v];
                for (int c = 0; c < 3; c++) image[(c * height + y) * width + x] = (rgb[c] - mean[c]) / std[c];
            }
        }
        return image;
    }
}
