using RepVgg.Gpu.Winograd;
using RepVgg.Testing;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// <see cref="GpuWinogradWeights"/>: the blob's CPU-packed transformed weights relaid for the GPU GEMM, against
/// <c>G g G^T</c> computed here in float64 from the same random kernels, element by element in the GPU layout
/// <c>U[point][icInGroup][oc]</c>.
/// </summary>
public sealed class WinogradWeightsTests
{
    // G of Lavin and Gray's F(2x2, 3x3) and F(4x4, 3x3), (m + 2) x 3, written out independently of the runtime's.
    private static readonly double[,] s_g2x2 = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 } };

    private static readonly double[,] s_g4x4 =
    {
        { 1.0 / 4, 0, 0 },
        { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
        { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
        { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
        { 0, 0, 1 },
    };

    [Theory]
    [InlineData(ConvAlgorithm.Winograd2x2, 3, 8, 1)]
    [InlineData(ConvAlgorithm.Winograd2x2, 17, 33, 1)]
    [InlineData(ConvAlgorithm.Winograd2x2, 8, 8, 2)]
    [InlineData(ConvAlgorithm.Winograd2x2, 32, 48, 4)]
    [InlineData(ConvAlgorithm.Winograd4x4, 3, 8, 1)]
    [InlineData(ConvAlgorithm.Winograd4x4, 33, 17, 1)]
    [InlineData(ConvAlgorithm.Winograd4x4, 8, 8, 2)]
    [InlineData(ConvAlgorithm.Winograd4x4, 8, 40, 4)]
    public void RelaidWeightsAreTheTransformedKernels(ConvAlgorithm algorithm, int inChannels, int outChannels, int groups)
    {
        var random = new Random(inChannels * 1000 + outChannels * 10 + groups);
        int inPerGroup = inChannels / groups;
        float[] oihw = new float[outChannels * inPerGroup * 9];
        for (int i = 0; i < oihw.Length; i++) oihw[i] = (float)(random.NextDouble() * 2 - 1);
        var layer = new Conv3x3Layer("stage1.0", inChannels, outChannels, groups, 1, 5, 5, 0, 0, algorithm);

        var gpu = new float[GpuWinogradWeights.Length(layer)];
        GpuWinogradWeights.Repack(WinogradCpuPacking.Pack(algorithm, oihw, inChannels, outChannels, groups), layer, gpu);

        double[,] g = algorithm == ConvAlgorithm.Winograd2x2 ? s_g2x2 : s_g4x4;
        int n = g.GetLength(0);
        var expected = new double[n * n * inPerGroup * outChannels];
        for (int oc = 0; oc < outChannels; oc++)
            for (int ic = 0; ic < inPerGroup; ic++)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                    {
                        // (G g G^T)[i, j] = sum over (a, b) of G[i, a] g[a, b] G[j, b].
                        double sum = 0;
                        for (int a = 0; a < 3; a++)
                            for (int b = 0; b < 3; b++)
                                sum += g[i, a] * oihw[(oc * inPerGroup + ic) * 9 + a * 3 + b] * g[j, b];
                        expected[((i * n + j) * inPerGroup + ic) * outChannels + oc] = sum;
                    }
        // The blob stores float32 roundings of the float64 transform: any misplaced value is a far larger error.
        NumericAssert.Close(expected, gpu, 1e-7, $"{algorithm} weights, {inChannels} -> {outChannels}, groups {groups}",
            [n * n, inPerGroup, outChannels]);
    }

    [Fact]
    public void WrongLengthsAndAlgorithmsAreNamed()
    {
        var layer = new Conv3x3Layer("stage2.1", 16, 16, 1, 1, 7, 7, 0, 0, ConvAlgorithm.Winograd4x4);
        var gpu = new float[GpuWinogradWeights.Length(layer)];
        float[] packed = WinogradCpuPacking.Pack(ConvAlgorithm.Winograd4x4, new float[16 * 16 * 9], 16, 16, 1);

        var shortBlob = Assert.Throws<ArgumentException>(() => GpuWinogradWeights.Repack(packed.AsSpan(1), layer, gpu));
        Assert.Contains("stage2.1", shortBlob.Message);
        Assert.Contains($"expected {packed.Length}", shortBlob.Message);
        Assert.Contains($"found {packed.Length - 1}", shortBlob.Message);

        var direct = Assert.Throws<ArgumentException>(() => GpuWinogradWeights.Repack(packed, layer with { Algorithm = ConvAlgorithm.Direct }, gpu));
        Assert.Contains("stage2.1 is computed by Direct", direct.Message);
    }
}
