using System.Buffers.Binary;
using System.IO.Compression;

namespace FashionMnist;

/// <summary>
/// The Fashion-MNIST test set, read from its original idx files, and the preprocessing the network
/// was trained with (tools/train/fashion_mnist.py).
/// </summary>
/// <param name="Pixels">N x 28 x 28 grey levels, row by row: 0 is the black background, 255 white.</param>
/// <param name="Labels">N true classes, 0 to 9 (<see cref="ClassNames"/>).</param>
internal sealed record FashionMnistTestSet(byte[] Pixels, byte[] Labels)
{
    /// <summary>Height and width of an image, in pixels.</summary>
    public const int ImageSize = 28;

    /// <summary>Pixels per image.</summary>
    public const int ImageLength = ImageSize * ImageSize;

    /// <summary>The test images, in the folder given to <see cref="Load"/>.</summary>
    public const string ImagesFile = "t10k-images-idx3-ubyte.gz";

    /// <summary>The test labels, in the folder given to <see cref="Load"/>.</summary>
    public const string LabelsFile = "t10k-labels-idx1-ubyte.gz";

    /// <summary>Preprocessing: x = (pixel / PixelScale - Mean) / Std, in float32, as the training script does it.</summary>
    public const float PixelScale = 255f;

    /// <summary>The training set's mean pixel on the 0..1 scale, rounded as the training script fixes it.</summary>
    public const float Mean = 0.2860f;

    /// <summary>The training set's pixel standard deviation on the 0..1 scale, rounded as the training script fixes it.</summary>
    public const float Std = 0.3530f;

    /// <summary>Names of the ten classes, by class index.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Reads <see cref="ImagesFile"/> and <see cref="LabelsFile"/> from <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidDataException">A file is not the idx file it should be, or the two disagree on the count.</exception>
    public static FashionMnistTestSet Load(string folder)
    {
        (byte[] pixels, int[] imageShape) = ReadIdx(Path.Combine(folder, ImagesFile), dimensions: 3);
        (byte[] labels, int[] labelShape) = ReadIdx(Path.Combine(folder, LabelsFile), dimensions: 1);
        if (imageShape[1] != ImageSize || imageShape[2] != ImageSize || imageShape[0] != labelShape[0])
            throw new InvalidDataException(
                $"Expected N x {ImageSize} x {ImageSize} images and N labels; found images ({string.Join(" x ", imageShape)}) and {labelShape[0]} labels.");
        return new FashionMnistTestSet(pixels, labels);
    }

    /// <summary>The images as the network's input: N x 1 x 28 x 28 floats (NCHW), preprocessed.</summary>
    public float[] Preprocess()
    {
        var images = new float[Pixels.Length];
        for (int i = 0; i < Pixels.Length; i++)
            images[i] = (Pixels[i] / PixelScale - Mean) / Std; // float32 at every step, as in PyTorch
        return images;
    }

    // An idx file: big-endian magic 0x0000080D (unsigned bytes, D dimensions), D big-endian sizes, then the bytes.
    private static (byte[] Data, int[] Shape) ReadIdx(string path, int dimensions)
    {
        using var file = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new BinaryReader(file);
        int magic = ReadBigEndianInt32(reader);
        if (magic != 0x0800 + dimensions)
            throw new InvalidDataException($"{path}: idx magic 0x{magic:X8}; expected 0x{0x0800 + dimensions:X8} (unsigned bytes, {dimensions} dimensions).");
        int[] shape = new int[dimensions];
        for (int d = 0; d < dimensions; d++) shape[d] = ReadBigEndianInt32(reader);
        int length = shape.Aggregate(1, (product, size) => product * size);
        byte[] data = reader.ReadBytes(length);
        if (data.Length != length)
            throw new InvalidDataException($"{path}: {data.Length} bytes of data; expected {length} for shape ({string.Join(" x ", shape)}).");
        return (data, shape);
    }

    private static int ReadBigEndianInt32(BinaryReader reader) => BinaryPrimitives.ReadInt32BigEndian(reader.ReadBytes(4));
}
