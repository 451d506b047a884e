using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FashionMnist;
using RepVgg;

// FashionRepVgg was generated at build time from model/fashion-mnist-repvgg-train.pth (FashionMnist.csproj).
// The test set and PyTorch's results for it are copied beside the program.
string dataFolder = Path.Combine(AppContext.BaseDirectory, "data");
string resultsPath = Path.Combine(AppContext.BaseDirectory, "model", PyTorchResults.FileName);
string[] missing = new[]
{
    Path.Combine(dataFolder, FashionMnistTestSet.ImagesFile),
    Path.Combine(dataFolder, FashionMnistTestSet.LabelsFile),
    resultsPath,
}.Where(path => !File.Exists(path)).ToArray();
if (missing.Length > 0)
{
    Console.Error.WriteLine($"Missing: {string.Join(", ", missing)}. They are committed in samples/FashionMnist and copied by the build.");
    return 1;
}

FashionMnistTestSet testSet = FashionMnistTestSet.Load(dataFolder);
PyTorchResults pytorch = PyTorchResults.Load(resultsPath);
float[] images = testSet.Preprocess();
if (pytorch.PreprocessingMismatch(images) is string mismatch)
{
    Console.Error.WriteLine($"The inputs differ from those PyTorch classified: {mismatch}");
    return 1;
}
Console.WriteLine($"FashionRepVgg: {FashionRepVgg.InputChannels} x {FashionRepVgg.InputHeight} x {FashionRepVgg.InputWidth} -> {FashionRepVgg.ClassCount} classes; " +
    $"{testSet.Count} test images; weights trained with PyTorch on Fashion-MNIST (model/, tools/train/fashion_mnist.py)");

using FashionRepVgg network = FashionRepVgg.Create(Backend.Cpu);
const int BatchSize = 256;

// 1. Classify the whole test set, in batches of 256.
int[] predicted = Classify(network, images, testSet.Count, BatchSize);
int correct = Enumerable.Range(0, testSet.Count).Count(i => predicted[i] == testSet.Labels[i]);
int differFromFloat64 = Enumerable.Range(0, testSet.Count).Count(i => predicted[i] != pytorch.ArgmaxFloat64[i]);
int differFromFloat32 = Enumerable.Range(0, testSet.Count).Count(i => predicted[i] != pytorch.ArgmaxFloat32[i]);
Console.WriteLine();
Console.WriteLine($"Accuracy: {100.0 * correct / testSet.Count:F2}% ({correct} of {testSet.Count}); PyTorch (float32): {100 * pytorch.TestAccuracy:F2}%");
Console.WriteLine($"Predicted class differs from PyTorch's float64 argmax on {differFromFloat64} of {testSet.Count} images " +
    $"(from its float32 argmax on {differFromFloat32})");

// 2. Confusion matrix: how often each true class (row) is predicted as each class (column).
var confusion = new int[FashionRepVgg.ClassCount, FashionRepVgg.ClassCount];
for (int i = 0; i < testSet.Count; i++) confusion[testSet.Labels[i], predicted[i]]++;
Console.WriteLine();
Console.WriteLine("Confusion matrix (rows: true class, columns: predicted class):");
Console.WriteLine($"{"",-15}" + string.Concat(Enumerable.Range(0, FashionRepVgg.ClassCount).Select(c => $"{c,6}")) + "  correct");
for (int t = 0; t < FashionRepVgg.ClassCount; t++)
{
    int total = Enumerable.Range(0, FashionRepVgg.ClassCount).Sum(p => confusion[t, p]);
    Console.WriteLine($"{t} {FashionMnistTestSet.ClassNames[t],-13}" +
        string.Concat(Enumerable.Range(0, FashionRepVgg.ClassCount).Select(p => $"{confusion[t, p],6}")) +
        $"  {100.0 * confusion[t, t] / total,6:F1}%");
}

// 3. Throughput, after a second of warm-up so the JIT has finished optimising the kernels.
string vectors = Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256"
    : Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";
Console.WriteLine();
Console.WriteLine($"Throughput on {RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} logical cores, {vectors} kernels:");
foreach (int batch in new[] { 1, BatchSize })
    Console.WriteLine($"  batch {batch,3}: {ImagesPerSecond(network, images, testSet.Count, batch),8:N0} images/s");

// 4. A few test images: the first three, and the first two the network gets wrong.
int[] wrong = Enumerable.Range(0, testSet.Count).Where(i => predicted[i] != testSet.Labels[i]).Take(2).ToArray();
Console.WriteLine();
PrintImages([0, 1, 2]);
PrintImages(wrong);
return 0;

// The predicted class of each image, classified batch images at a time.
static int[] Classify(FashionRepVgg network, float[] images, int count, int batch)
{
    var logits = new float[batch * FashionRepVgg.ClassCount];
    var predicted = new int[count];
    const int imageLength = FashionMnistTestSet.ImageLength;
    for (int start = 0; start < count; start += batch)
    {
        int n = Math.Min(batch, count - start);
        network.Infer(images.AsSpan(start * imageLength, n * imageLength), logits.AsSpan(0, n * FashionRepVgg.ClassCount));
        for (int i = 0; i < n; i++)
            predicted[start + i] = TensorPrimitives.IndexOfMax(logits.AsSpan(i * FashionRepVgg.ClassCount, FashionRepVgg.ClassCount));
    }
    return predicted;
}

// Images classified per second in full batches over the test set: warm-up for a second, then at least two seconds measured.
static double ImagesPerSecond(FashionRepVgg network, float[] images, int count, int batch)
{
    var logits = new float[batch * FashionRepVgg.ClassCount];
    int start = 0;
    void InferNextBatch()
    {
        if (start + batch > count) start = 0;
        network.Infer(images.AsSpan(start * FashionMnistTestSet.ImageLength, batch * FashionMnistTestSet.ImageLength), logits);
        start += batch;
    }
    for (long warmUp = Stopwatch.GetTimestamp(); Stopwatch.GetElapsedTime(warmUp).TotalSeconds < 1;) InferNextBatch();
    long measured = 0;
    var stopwatch = Stopwatch.StartNew();
    for (; stopwatch.Elapsed.TotalSeconds < 2; measured += batch) InferNextBatch();
    return measured / stopwatch.Elapsed.TotalSeconds;
}

// Test images side by side as ASCII art, each with its index, predicted and true class: 28 columns by 14 rows,
// each character the mean of two vertically adjacent pixels (characters are about twice as tall as wide).
void PrintImages(int[] indices)
{
    const string ramp = " .:-=+*#%@"; // ten grey levels, black (the background) to white
    const int size = FashionMnistTestSet.ImageSize;
    string Column(string text) => text.PadRight(size + 4);
    string Row(int image, int row)
    {
        ReadOnlySpan<byte> pixels = testSet.Pixels.AsSpan(image * FashionMnistTestSet.ImageLength + row * size, 2 * size);
        var line = new char[size];
        for (int x = 0; x < size; x++) line[x] = ramp[(pixels[x] + pixels[size + x]) * ramp.Length / 512];
        return new string(line);
    }
    void PrintLine(Func<int, string> column) => Console.WriteLine(string.Concat(indices.Select(i => Column(column(i)))).TrimEnd());
    PrintLine(i => $"test image {i}");
    PrintLine(i => $"predicted: {FashionMnistTestSet.ClassNames[predicted[i]]}");
    PrintLine(i => $"true:      {FashionMnistTestSet.ClassNames[testSet.Labels[i]]}");
    for (int row = 0; row < size; row += 2) PrintLine(i => Row(i, row));
    Console.WriteLine();
}
