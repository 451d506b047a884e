using Fixtures.Wrapped;

namespace RepVgg.Integration.Tests;

/// <summary>The classes the build generated from the PyTorch fixtures, against PyTorch's float64 logits.</summary>
public class GeneratedNetworkTests
{
    [Fact]
    public void Batch_inference_matches_PyTorch_for_the_official_pth()
    {
        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput("x64");
        using var net = TinyOfficial.Create(Backend.Cpu);
        var logits = new float[input.Batch * TinyOfficial.ClassCount];

        net.Infer(input.Images, logits);

        NumericAssert.Close(input.Logits, logits, 1e-5, "TinyOfficial on x64");
        for (int n = 0; n < input.Batch; n++)
            Assert.Equal(input.Top5[n], NumericAssert.TopK(logits, n, input.Classes, 5));
    }

    [Fact]
    public void Batch_inference_matches_PyTorch_for_the_timm_safetensors()
    {
        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput("x64");
        using var net = TinyTimm.Create();
        var logits = new float[input.Batch * TinyTimm.ClassCount];

        net.Infer(input.Images, logits);

        NumericAssert.Close(input.Logits, logits, 1e-5, "TinyTimm on x64");
    }

    [Fact]
    public void Static_single_image_inference_matches_PyTorch_at_an_odd_size()
    {
        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput("x33x47");

        float[] logits = TinyWrapped.Infer(input.Images);

        NumericAssert.Close(input.Logits, logits, 1e-5, "TinyWrapped on x33x47");
        Assert.Equal(input.Top5[0], NumericAssert.TopK(logits, 0, input.Classes, 5));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(float.MaxValue)]
    public void A_non_finite_or_overflowing_value_makes_that_images_logits_NaN_on_the_CPU_and_leaves_the_others(float value)
    {
        // The contract the generated Infer documents: the images are not scanned, and such a value spreads to every logit of its image only.
        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput("x64");
        const int imageFloats = TinyOfficial.InputChannels * TinyOfficial.InputHeight * TinyOfficial.InputWidth, classes = TinyOfficial.ClassCount;
        const int poisonedImage = 1;
        using var net = TinyOfficial.Create(Backend.Cpu);
        var clean = new float[input.Batch * classes];
        net.Infer(input.Images, clean);
        float[] images = input.Images.ToArray();
        // One value of channel 1, near the middle of the image.
        images[poisonedImage * imageFloats + TinyOfficial.InputHeight * TinyOfficial.InputWidth + 30 * TinyOfficial.InputWidth + 33] = value;
        var logits = new float[clean.Length];

        net.Infer(images, logits);

        Assert.Equal(3, input.Batch);
        for (int n = 0; n < input.Batch; n++)
        {
            for (int i = n * classes; i < (n + 1) * classes; i++)
            {
                if (n == poisonedImage)
                    Assert.True(float.IsNaN(logits[i]), $"Image {n}, holding {value:R}: logit {i - n * classes} is {logits[i]:R}, not NaN.");
                else
                    Assert.True(BitConverter.SingleToInt32Bits(clean[i]) == BitConverter.SingleToInt32Bits(logits[i]),
                        $"Image {n}, beside one holding {value:R}: logit {i - n * classes} is {logits[i]:R}; without that value it was {clean[i]:R}.");
            }
        }
    }

    [Fact]
    public void Constants_describe_the_compiled_shapes()
    {
        Assert.Equal((3, 64, 64, 10), (TinyOfficial.InputChannels, TinyOfficial.InputHeight, TinyOfficial.InputWidth, TinyOfficial.ClassCount));
        Assert.Equal((3, 33, 47, 10), (TinyWrapped.InputChannels, TinyWrapped.InputHeight, TinyWrapped.InputWidth, TinyWrapped.ClassCount));
    }

    [Fact]
    public void Without_a_CUDA_device_Gpu_says_why_and_Auto_runs_on_the_CPU()
    {
        // This machine and CI have no NVIDIA GPU; the test is about the behaviour there.
        var error = Assert.Throws<NotSupportedException>(() => TinyOfficial.Create(Backend.Gpu));
        Assert.StartsWith("Backend.Gpu is not available: ", error.Message);
        Assert.Contains("CUDA", error.Message);

        using TinyOfficial auto = TinyOfficial.Create(Backend.Auto);
        Assert.Equal(Backend.Cpu, auto.Backend);
        Assert.StartsWith("CPU, ", auto.DeviceName);
    }

    [Fact]
    public void Precision_is_Fp32_by_default_refused_on_the_CPU_when_reduced_and_Fp32_where_Auto_falls_back()
    {
        // As above: no CUDA device here, so Auto is the CPU, which computes in float32 whatever was asked.
        using TinyOfficial byDefault = TinyOfficial.Create();
        Assert.Equal(Precision.Fp32, byDefault.Precision);

        var cpu = Assert.Throws<NotSupportedException>(() => TinyOfficial.Create(Backend.Cpu, Precision.Fp16));
        Assert.StartsWith("Precision.Fp16 runs on a GPU's tensor cores", cpu.Message);
        var gpu = Assert.Throws<NotSupportedException>(() => TinyOfficial.Create(Backend.Gpu, Precision.Tf32));
        Assert.Contains("CUDA", gpu.Message);

        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput("x64");
        using TinyOfficial auto = TinyOfficial.Create(Backend.Auto, Precision.Tf32);
        Assert.Equal((Backend.Cpu, Precision.Fp32), (auto.Backend, auto.Precision));
        var logits = new float[input.Batch * TinyOfficial.ClassCount];
        auto.Infer(input.Images, logits);
        NumericAssert.Close(input.Logits, logits, 1e-5, "TinyOfficial, Auto asked for Tf32, on x64");
    }

    [Fact]
    public void Wrong_input_lengths_name_the_expected_shape()
    {
        var image = new float[3 * 64 * 64 - 1];
        var tooShort = Assert.Throws<ArgumentException>(() => TinyOfficial.Infer(image));
        Assert.Contains("3 x 64 x 64", tooShort.Message);

        using var net = TinyOfficial.Create();
        var wrongLogits = Assert.Throws<ArgumentException>(() => net.Infer(new float[2 * 3 * 64 * 64], new float[10]));
        Assert.Contains("2 x 10", wrongLogits.Message);
    }
}
