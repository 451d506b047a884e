using RepVgg.Gpu;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// <see cref="TensorCoreConvCases.EngineShapes"/> (the engine's kernels) in TF32, on its own CPU accelerator: each class compiles
/// only its own kernels, and disposes of them before the next class runs, which keeps the test host's memory bounded.
/// </summary>
public sealed class Tf32ConvTests(TestAccelerator device) : IClassFixture<TestAccelerator>
{
    [Theory]
    [MemberData(nameof(TensorCoreConvCases.EngineShapes), MemberType = typeof(TensorCoreConvCases))]
    public void Layer_is_within_the_stated_bound_of_the_float64_convolution(int inChannels, int outChannels, int groups, int stride, int height, int width,
        int batch, string tileSize) =>
        TensorCoreConvCases.Check(device.Cpu, Precision.Tf32, inChannels, outChannels, groups, stride, height, width, batch, tileSize);
}

/// <summary>
/// <see cref="TensorCoreConvCases.EngineShapes"/> (the engine's kernels) in FP16, on its own CPU accelerator: each class compiles
/// only its own kernels, and disposes of them before the next class runs, which keeps the test host's memory bounded.
/// </summary>
public sealed class Fp16ConvTests(TestAccelerator device) : IClassFixture<TestAccelerator>
{
    [Theory]
    [MemberData(nameof(TensorCoreConvCases.EngineShapes), MemberType = typeof(TensorCoreConvCases))]
    public void Layer_is_within_the_stated_bound_of_the_float64_convolution(int inChannels, int outChannels, int groups, int stride, int height, int width,
        int batch, string tileSize) =>
        TensorCoreConvCases.Check(device.Cpu, Precision.Fp16, inChannels, outChannels, groups, stride, height, width, batch, tileSize);
}
