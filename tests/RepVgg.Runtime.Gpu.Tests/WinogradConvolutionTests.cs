using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.Winograd;
using RepVgg.Testing;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// <see cref="GpuWinogradConvolution"/> on ILGPU's CPU accelerator against a float64 direct convolution written
/// here: both algorithms, odd sizes (tiles over the bottom and right edges), a 1 x 1 image, channel counts that
/// are not multiples of the GEMM's blocks, groups, batches, bias and ReLU.
/// </summary>
public sealed class WinogradConvolutionTests(WinogradAccelerator device) : IClassFixture<WinogradAccelerator>
{
    private static readonly (ConvAlgorithm Algorithm, int In, int Out, int Groups, int Height, int Width, int Batch)[] Layers =
    [
        (ConvAlgorithm.Winograd2x2, 3, 8, 1, 5, 7, 1),
        (ConvAlgorithm.Winograd2x2, 8, 17, 1, 9, 9, 3),
        (ConvAlgorithm.Winograd2x2, 17, 33, 1, 1, 1, 3),
        (ConvAlgorithm.Winograd2x2, 8, 8, 2, 7, 5, 3),
        (ConvAlgorithm.Winograd2x2, 32, 16, 4, 9, 9, 1),
        (ConvAlgorithm.Winograd4x4, 3, 8, 1, 5, 7, 1),
        (ConvAlgorithm.Winograd4x4, 8, 17, 1, 9, 9, 3),
        (ConvAlgorithm.Winograd4x4, 17, 33, 1, 1, 1, 3),
        (ConvAlgorithm.Winograd4x4, 8, 8, 2, 7, 5, 3),
        (ConvAlgorithm.Winograd4x4, 32, 16, 4, 9, 9, 1),
        // Past one small (64 x 64) GEMM tile in every direction and a multiple of none: 100 tiles (64 + 36) and 70
        // output channels (64 + 6) from 33 input channels (4 x 8 + 1).
        (ConvAlgorithm.Winograd2x2, 33, 70, 1, 20, 19, 1),
        (ConvAlgorithm.Winograd4x4, 33, 70, 1, 13, 17, 5),
        // Past one large (128 x 128) GEMM tile in both directions: 136 output channels and 132 or 140 tiles.
        (ConvAlgorithm.Winograd2x2, 40, 136, 1, 24, 22, 1),
        (ConvAlgorithm.Winograd4x4, 20, 130, 1, 13, 17, 7),
    ];

    /// <summary>Every layer with the GEMM's small (64 x 64) tiles and with its large (128 x 128) ones.</summary>
    public static TheoryData<ConvAlgorithm, int, int, int, int, int, int, bool> Cases()
    {
        var data = new TheoryData<ConvAlgorithm, int, int, int, int, int, int, bool>();
        foreach (var layer in Layers)
            foreach (bool largeTiles in new[] { false, true })
                data.Add(layer.Algorithm, layer.In, layer.Out, layer.Groups, layer.Height, layer.Width, layer.Batch, largeTiles);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesDirectConvolution(ConvAlgorithm algorithm, int inChannels, int outChannels, int groups, int height, int width, int batch, bool largeTiles)
    {
        var random = new Random(HashCode.Combine(algorithm, inChannels, outChannels, groups, height, width, batch));
        int inPerGroup = inChannels / groups;
        // He-scaled weights and a small bias: outputs of unit size, about half of them clipped by ReLU.
        float[] oihw = Uniform(random, outChannels * inPerGroup * 9, MathF.Sqrt(6f / (inPerGroup * 9)));
        float[] bias = Uniform(random, outChannels, 0.1f);
        float[] input = Uniform(random, batch * inChannels * height * width, 1f);
        var layer = new Conv3x3Layer("stage1.1", inChannels, outChannels, groups, 1, height, width, 0, 0, algorithm);

        float[] output = Run(layer, batch, input, oihw, bias, largeTiles ? GemmTileSize.Large : GemmTileSize.Small);

        double[] expected = Conv3x3Reference.Run(input, batch, inChannels, height, width, oihw, bias, outChannels, groups, stride: 1);
        NumericAssert.Close(expected, output, NumericAssert.Float32Tolerance,
            $"{algorithm}, {inChannels} -> {outChannels} channels, groups {groups}, {height} x {width}, batch {batch}, {(largeTiles ? "large" : "small")} tiles",
            [batch, outChannels, height, width]);
    }

    [Fact]
    public void RejectsWhatItCannotCompute()
    {
        var layer = new Conv3x3Layer("stage3.0", 16, 16, 1, 2, 14, 14, 0, 0, ConvAlgorithm.Winograd2x2);
        using var buffer = device.Accelerator.Allocate1D<float>(1);
        var stride = Assert.Throws<ArgumentException>(() => device.Convolution.Enqueue(device.Accelerator.DefaultStream,
            buffer.View, buffer.View, buffer.View, buffer.View, buffer.View, layer, 1, default));
        Assert.Contains("stage3.0 has stride 2", stride.Message);

        var shortWorkspace = Assert.Throws<ArgumentException>(() => device.Convolution.Enqueue(device.Accelerator.DefaultStream,
            buffer.View, buffer.View, buffer.View, buffer.View, buffer.View, layer with { Stride = 1 }, 1, default));
        Assert.Contains("stage3.0: the input view holds 1 floats; it needs 3136", shortWorkspace.Message);

        var direct = Assert.Throws<ArgumentException>(() => GpuWinogradConvolution.WorkspaceFloats(layer with { Algorithm = ConvAlgorithm.Direct }, 1));
        Assert.Contains("stage3.0 is computed by Direct", direct.Message);

        // 36 points x 2048 channels x 56 x 56 tiles: 231 M floats per image, past 2^31 at a batch of 10.
        var wide = layer with { InChannels = 2048, OutChannels = 2048, Stride = 1, InHeight = 224, InWidth = 224, Algorithm = ConvAlgorithm.Winograd4x4 };
        Assert.Equal(2L * 36 * 2048 * 56 * 56, GpuWinogradConvolution.WorkspaceFloats(wide, 1));
        var batch = Assert.Throws<ArgumentException>(() => GpuWinogradConvolution.WorkspaceFloats(wide, 10));
        Assert.Contains("stage3.0 at a batch of 10 needs a buffer of 2312110080 floats", batch.Message);
    }

    [Fact]
    public void NamesAnAcceleratorWithGroupsTooSmall()
    {
        using Context context = Context.Create(builder => builder.CPU());
        using Accelerator accelerator = context.CreateCPUAccelerator(0);
        var error = Assert.Throws<NotSupportedException>(() => new GpuWinogradConvolution(accelerator));
        Assert.Contains("needs 256 threads per group", error.Message);
        Assert.Contains("allows 16", error.Message);
    }

    /// <summary>
    /// The layer on the accelerator: the weights packed as in the blob and relaid, every device buffer the
    /// kernels write filled with NaN first, so a value they miss or read before writing shows.
    /// </summary>
    private float[] Run(Conv3x3Layer layer, int batch, float[] input, float[] oihw, float[] bias, GemmTileSize tiles)
    {
        Accelerator accelerator = device.Accelerator;
        float[] packed = WinogradCpuPacking.Pack(layer.Algorithm, oihw, layer.InChannels, layer.OutChannels, layer.Groups);
        var weights = new float[GpuWinogradWeights.Length(layer)];
        GpuWinogradWeights.Repack(packed, layer, weights);

        using var inputBuffer = accelerator.Allocate1D(input);
        using var weightBuffer = accelerator.Allocate1D(weights);
        using var biasBuffer = accelerator.Allocate1D(bias);
        using var outputBuffer = accelerator.Allocate1D(NaNs(batch * layer.OutChannels * layer.InHeight * layer.InWidth));
        using var workspace = accelerator.Allocate1D(NaNs(checked((int)GpuWinogradConvolution.WorkspaceFloats(layer, batch))));

        device.Convolution.Enqueue(accelerator.DefaultStream, inputBuffer.View, outputBuffer.View, weightBuffer.View, biasBuffer.View,
            workspace.View, layer, batch, new GemmTilePolicy(tiles, accelerator.NumMultiprocessors));
        accelerator.Synchronize();
        return outputBuffer.GetAsArray1D();
    }

    private static float[] Uniform(Random random, int count, float limit)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * limit;
        return values;
    }

    private static float[] NaNs(int count)
    {
        var values = new float[count];
        Array.Fill(values, float.NaN);
        return values;
    }
}
