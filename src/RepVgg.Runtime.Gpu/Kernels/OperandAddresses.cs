using ILGPU;
using ILGPU.Runtime;

namespace RepVgg.Gpu.Kernels;

/// <summary>Where a layer's input and weights start on the device: <see cref="AsyncCopies"/> reads from these addresses.</summary>
internal readonly record struct OperandAddresses(long Input, long Weights)
{
    /// <summary>The addresses of the views a kernel call is given (host side).</summary>
    public static OperandAddresses Of(ArrayView<float> input, ArrayView<float> weights) =>
        new(input.LoadEffectiveAddressAsPtr().ToInt64(), weights.LoadEffectiveAddressAsPtr().ToInt64());
}
