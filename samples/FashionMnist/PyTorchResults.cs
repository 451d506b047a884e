using System.Security.Cryptography;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace FashionMnist;

/// <summary>
/// What PyTorch computed on the test set with the trained checkpoint, in eval mode, as
/// tools/train/fashion_mnist.py wrote it beside the checkpoint: the reference the compiled network
/// is compared with.
/// </summary>
/// <param name="CheckpointSha256">SHA-256 of the checkpoint these results belong to, lower-case hex.</param>
/// <param name="PixelScale">The preprocessing's scale (x = (pixel / scale - mean) / std).</param>
/// <param name="Mean">The preprocessing's mean.</param>
/// <param name="Std">The preprocessing's standard deviation.</param>
/// <param name="PreprocessedImagesSha256">SHA-256 of the preprocessed test images as little-endian float32 (N x 1 x 28 x 28).</param>
/// <param name="TestAccuracy">Fraction of test images PyTorch classifies correctly in float32.</param>
/// <param name="ArgmaxFloat32">PyTorch's predicted class of each test image, in float32.</param>
/// <param name="ArgmaxFloat64">PyTorch's predicted class of each test image, in float64 (<c>model.double()</c>).</param>
internal sealed record PyTorchResults(
    string CheckpointSha256, float PixelScale, float Mean, float Std, string PreprocessedImagesSha256,
    double TestAccuracy, int[] ArgmaxFloat32, int[] ArgmaxFloat64)
{
    /// <summary>The results file, beside the checkpoint in the sample's <c>model</c> folder.</summary>
    public const string FileName = "fashion-mnist-repvgg.pytorch.json";

    /// <summary>Reads the JSON file the training script wrote.</summary>
    public static PyTorchResults Load(string path)
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement root = json.RootElement;
        JsonElement preprocessing = root.GetProperty("preprocessing");
        return new PyTorchResults(
            root.GetProperty("checkpoint_sha256").GetString()!,
            preprocessing.GetProperty("scale").GetSingle(),
            preprocessing.GetProperty("mean").GetSingle(),
            preprocessing.GetProperty("std").GetSingle(),
            preprocessing.GetProperty("test_images_float32_sha256").GetString()!,
            root.GetProperty("test_accuracy_float32").GetDouble(),
            Classes(root.GetProperty("argmax_float32")),
            Classes(root.GetProperty("argmax_float64")));
    }

    /// <summary>
    /// Why <paramref name="images"/>, preprocessed by <see cref="FashionMnistTestSet.Preprocess"/>, are not
    /// the inputs PyTorch saw; <see langword="null"/> when they are, bit for bit.
    /// </summary>
    public string? PreprocessingMismatch(ReadOnlySpan<float> images)
    {
        if ((PixelScale, Mean, Std) != (FashionMnistTestSet.PixelScale, FashionMnistTestSet.Mean, FashionMnistTestSet.Std))
            return $"PyTorch preprocessed with scale {PixelScale}, mean {Mean}, std {Std}; this program with " +
                $"{FashionMnistTestSet.PixelScale}, {FashionMnistTestSet.Mean}, {FashionMnistTestSet.Std}.";
        string hash = Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(images)));
        return hash == PreprocessedImagesSha256 ? null
            : $"The preprocessed test images hash to {hash}; PyTorch's to {PreprocessedImagesSha256}.";
    }

    private static int[] Classes(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
