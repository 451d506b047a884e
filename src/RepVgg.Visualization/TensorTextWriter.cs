using System.Text;

namespace RepVgg.Visualization;

/// <summary>
/// The Python via's text dump, byte for byte. It writes
/// <c>'# Array shape: {shape}\n'</c>, then <c>np.savetxt(f, a, fmt='%-7.3f')</c> for ranks 1 and 2;
/// for rank 3 <c>'# {i}-th channel\n'</c> before each channel's savetxt; for rank 4
/// <c>'\n\n# {j}-th Image\n'</c> before each image's channels. savetxt writes one row per line,
/// the values joined by one space, and a 1-D array one value per line.
/// </summary>
internal static class TensorTextWriter
{
    public static string Format(ShapedTensor tensor)
    {
        var text = new StringBuilder();
        text.Append("# Array shape: ").Append(tensor.ShapeText).Append('\n');
        switch (tensor.Rank)
        {
            case 1:
                foreach (float v in tensor.Values)
                {
                    PrintfFixed.Append(text, v);
                    text.Append('\n');
                }
                break;
            case 2:
                AppendMatrix(text, tensor, 0, 0);
                break;
            default:
                for (int image = 0; image < tensor.Images; image++)
                {
                    if (tensor.Rank == 4) text.Append("\n\n# ").Append(image).Append("-th Image\n");
                    for (int channel = 0; channel < tensor.Channels; channel++)
                    {
                        text.Append("# ").Append(channel).Append("-th channel\n");
                        AppendMatrix(text, tensor, image, channel);
                    }
                }
                break;
        }
        return text.ToString();
    }

    private static void AppendMatrix(StringBuilder text, ShapedTensor tensor, int image, int channel)
    {
        ReadOnlySpan<float> matrix = tensor.Matrix(image, channel);
        for (int row = 0; row < tensor.Rows; row++)
        {
            for (int column = 0; column < tensor.Columns; column++)
            {
                if (column > 0) text.Append(' ');
                PrintfFixed.Append(text, matrix[(row * tensor.Columns) + column]);
            }
            text.Append('\n');
        }
    }
}
