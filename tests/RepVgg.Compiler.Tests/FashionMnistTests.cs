using System.Numerics.Tensors;
using FashionMnist;

namespace RepVgg.Compiler.Tests;

/// <summary>
/// The network trained on Fashion-MNIST (samples/FashionMnist, trained by tools/train/fashion_mnist.py),
/// compiled and run on the 10,000 test images, against what PyTorch predicted for them.
/// </summary>
public class FashionMnistTests
{
    private const int ImageSize = FashionMnistTestSet.ImageSize;

    /// <summary>Images per engine call: the whole test set would need activation buffers of about 0.6 GB.</summary>
    private const int BatchSize = 1000;

    private static readonly string SampleFolder = Path.Combine(PyTorchFixtures.RepositoryRoot, "samples", "FashionMnist");

    private static readonly Lazy<FashionMnistTestSet> TestSet = new(() => FashionMnistTestSet.Load(Path.Combine(SampleFolder, "data")));

    private static readonly Lazy<PyTorchResults> PyTorch = new(() => PyTorchResults.Load(Path.Combine(SampleFolder, "model", PyTorchResults.FileName)));

    private static string Checkpoint => Path.Combine(SampleFolder, "model", "fashion-mnist-repvgg-train.pth");

    [Fact]
    public void Preprocessed_images_are_PyTorchs_inputs_bit_for_bit()
    {
        string? mismatch = PyTorch.Value.PreprocessingMismatch(TestSet.Value.Preprocess());
        Assert.True(mismatch is null, mismatch);
    }

    [Fact]
    public void Compiled_network_predicts_what_PyTorch_predicts()
    {
        FashionMnistTestSet testSet = TestSet.Value;
        PyTorchResults pytorch = PyTorch.Value;
        CompiledModel model = WeightsStep.Compile(Checkpoint,
            new CompileOptions { InputHeight = ImageSize, InputWidth = ImageSize, Strides = [1, 2, 2, 2, 2] });
        Assert.Equal(pytorch.CheckpointSha256, model.Manifest.Source.Sha256);

        int[] predicted = Classify(model, testSet.Preprocess(), testSet.Count);

        // Only a near tie between the two largest logits can turn on float32 rounding.
        int[] differing = Enumerable.Range(0, testSet.Count).Where(i => predicted[i] != pytorch.ArgmaxFloat64[i]).ToArray();
        Assert.True(differing.Length <= 5,
            $"The predicted class differs from PyTorch's float64 argmax on {differing.Length} of {testSet.Count} images; at most 5 may. First: " +
            string.Join(", ", differing.Take(10).Select(i => $"image {i} ours {predicted[i]}, PyTorch {pytorch.ArgmaxFloat64[i]}")));
        double accuracy = Enumerable.Range(0, testSet.Count).Count(i => predicted[i] == testSet.Labels[i]) / (double)testSet.Count;
        Assert.True(Math.Abs(accuracy - pytorch.TestAccuracy) <= 0.0005,
            $"Accuracy {100 * accuracy:F2}%; PyTorch's {100 * pytorch.TestAccuracy:F2}%; at most 0.05 percentage points apart.");
    }

    // The compiled network's predicted class of each image, in batches.
    private static int[] Classify(CompiledModel model, float[] images, int count)
    {
        const int imageLength = FashionMnistTestSet.ImageLength;
        var predicted = new int[count];
        for (int start = 0; start < count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, count - start);
            float[] logits = CompiledNetwork.Infer(model, images[(start * imageLength)..((start + n) * imageLength)], ImageSize, ImageSize);
            int classes = logits.Length / n;
            for (int i = 0; i < n; i++)
                predicted[start + i] = TensorPrimitives.IndexOfMax(logits.AsSpan(i * classes, classes));
        }
        return predicted;
    }
}
