using RepVgg.Gpu;
using RepVgg.Tooling.Reference;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// One layer through the engine in TF32 and FP16 (the tensor-core kernel, its mma emulated on the CPU accelerator)
/// against the float64 convolution of the same float32 inputs and weights, within the bound <see cref="Precision"/>
/// states for each output (<see cref="TensorCoreBound"/>; the GPU check holds a GPU to it too).
/// </summary>
public class TensorCoreConvTests
{
    public static TheoryData<Precision, int, int, int, int, int, int, int> Shapes()
    {
        var data = new TheoryData<Precision, int, int, int, int, int, int, int>();
        foreach (Precision precision in new[] { Precision.Tf32, Precision.Fp16 })
        {
            // in, out, groups, stride, height, width, batch
            data.Add(precision, 5, 17, 1, 1, 7, 5, 1);    // K = 45: a partial step (and an odd K for FP16's pairs)
            data.Add(precision, 17, 33, 1, 2, 7, 5, 3);   // stride 2, batch 3: the pixel tile spans images
            data.Add(precision, 20, 68, 4, 2, 9, 7, 3);   // groups 4, stride 2
            data.Add(precision, 16, 72, 1, 1, 11, 9, 1);  // two channel tiles, the second nearly empty
            data.Add(precision, 40, 24, 1, 1, 12, 13, 2); // K = 360: several steps, several pixel tiles
            data.Add(precision, 33, 5, 1, 1, 1, 1, 3);    // 1 x 1 image: all taps but the centre are padding
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Layer_is_within_the_stated_bound_of_the_float64_convolution(Precision precision,
        int inChannels, int outChannels, int groups, int stride, int height, int width, int batch)
    {
        var (layout, weights, oihw, bias) = CompiledModels.SingleLayer(inChannels, outChannels, groups, stride, height, width, ConvAlgorithm.Direct, seed: 3);
        Conv3x3Layer layer = layout.Layers[0];
        float[] images = CompiledModels.RandomFloats(batch * inChannels * height * width, seed: 5);
        using GpuInferenceEngine engine = GpuEngines.Create(TestAccelerator.Cpu, layout, weights, precision);
        Assert.Equal(precision, engine.Precision);

        engine.BeginBatch(images, new float[batch * layout.Head.Classes]);
        engine.Conv3x3BiasRelu(layer);
        var actual = new float[batch * outChannels * layer.OutHeight * layer.OutWidth];
        engine.CopyActivation(actual);

        double[] exact = Conv3x3Reference.Run(images, batch, inChannels, height, width, oihw, bias, outChannels, groups, stride);
        double[] bounds = TensorCoreBound.PerOutput(precision, Activation.FromFloats(images, batch, inChannels, height, width), oihw, bias, outChannels, groups, stride);

        int reduction = inChannels / groups * 9;
        double relative = TensorCoreBound.RelativeFactor(reduction);
        double largestError = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double error = Math.Abs(actual[i] - exact[i]);
            Assert.True(error <= bounds[i], $"{precision}, output {i}: expected {exact[i]} within {bounds[i]:E3}, found {actual[i]} (off by {error:E3}).");
            // Error over Σ|w x| + |b| (at most: bound / relative is that, or more in FP16).
            largestError = Math.Max(largestError, error * relative / bounds[i]);
        }
        // The kernel really rounds: somewhere it is off by more than float32 arithmetic on K products ever is.
        Assert.True(largestError > reduction * Math.ScaleB(1, -24),
            $"{precision}: the largest error is {largestError:E2} of Σ|w x|, within float32's; the inputs were not rounded to {precision}.");
    }
}
