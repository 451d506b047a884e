using RepVgg.GpuCheck.Candidates;
using RepVgg.Runtime.Gpu.Tests;

namespace RepVgg.GpuCheck.Tests;

/// <summary>
/// <see cref="AsyncCopies"/> in TF32 on the layers that prove a candidate (<see cref="TensorCoreConvCases.CandidateShapes"/>),
/// with small and large tiles, within the bound the engine's kernels keep; on its own CPU accelerator.
/// </summary>
public sealed class AsyncCopiesTf32Tests(TestAccelerator device) : IClassFixture<TestAccelerator>
{
    [Theory]
    [MemberData(nameof(TensorCoreConvCases.CandidateShapes), MemberType = typeof(TensorCoreConvCases))]
    public void Layer_is_within_the_stated_bound_of_the_float64_convolution(int inChannels, int outChannels, int groups, int stride, int height, int width,
        int batch, string tileSize) =>
        TensorCoreConvCases.Check(device.Cpu, Precision.Tf32, inChannels, outChannels, groups, stride, height, width, batch, tileSize, AsyncCopiesGemm.Instance);
}

/// <summary><see cref="AsyncCopiesTf32Tests"/> in FP16, whose lines hold 8 halves rather than 4 float32 values.</summary>
public sealed class AsyncCopiesFp16Tests(TestAccelerator device) : IClassFixture<TestAccelerator>
{
    [Theory]
    [MemberData(nameof(TensorCoreConvCases.CandidateShapes), MemberType = typeof(TensorCoreConvCases))]
    public void Layer_is_within_the_stated_bound_of_the_float64_convolution(int inChannels, int outChannels, int groups, int stride, int height, int width,
        int batch, string tileSize) =>
        TensorCoreConvCases.Check(device.Cpu, Precision.Fp16, inChannels, outChannels, groups, stride, height, width, batch, tileSize, AsyncCopiesGemm.Instance);
}
