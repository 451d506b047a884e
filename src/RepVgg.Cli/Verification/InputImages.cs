using System.Runtime.InteropServices;
using RepVgg.Compiler;
using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;

namespace RepVgg.Cli.Verification;

/// <summary><c>repvgg verify</c>'s input: raw little-endian float32 images, NCHW, as PyTorch's <c>tensor.numpy().tofile()</c> writes them.</summary>
internal static class InputImages
{
    /// <summary>Reads every image of <paramref name="path"/>, each <paramref name="channels"/> x <paramref name="height"/> x <paramref name="width"/> floats.</summary>
    /// <exception cref="CompilationException">RVG0030: the file is missing or not a whole number of images.</exception>
    public static float[] Read(string path, int channels, int height, int width)
    {
        long imageBytes = (long)channels * height * width * sizeof(float);
        string shape = $"{channels} x {height} x {width}";
        if (!File.Exists(path))
            throw Mismatch(path, $"The input file '{path}' does not exist; expected raw float32 images of {shape} (NCHW).");
        long length = new FileInfo(path).Length;
        if (length == 0 || length % imageBytes != 0)
        {
            string floats = length % sizeof(float) == 0 ? $"{length / sizeof(float)} floats" : $"{length} bytes, not a whole number of floats";
            throw Mismatch(path,
                $"The input file holds {floats}; expected a multiple of {shape} = {imageBytes / sizeof(float)} floats (N float32 images, NCHW). " +
                "--input-height and --input-width give the image size.");
        }
        // Read as one span of bytes, whose length is an int.
        if (length > int.MaxValue)
            throw Mismatch(path, $"The input file holds {length / imageBytes} images of {shape}, {length} bytes; expected at most {int.MaxValue} bytes: split it.");
        float[] images = new float[length / sizeof(float)];
        using (FileStream file = File.OpenRead(path)) file.ReadExactly(MemoryMarshal.AsBytes(images.AsSpan()));
        return images;
    }

    private static CompilationException Mismatch(string path, string message) =>
        new(CompilerDiagnostic.Error(DiagnosticIds.VerifyInputMismatch, path, message));
}
