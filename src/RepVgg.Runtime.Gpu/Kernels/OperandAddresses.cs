using ILGPU;
using ILGPU.Runtime;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// Where a layer's input and weights start on the device, for a tensor-core staging that copies by address
/// (<see cref="IStagingCopies"/>; ILGPU gives a kernel no pointer it can hand to PTX). The engine passes them with every
/// call; its own <see cref="RegisterCopies"/> reads through views and ignores them.
/// </summary>
internal readonly record struct OperandAddresses(long Input, long Weights)
{
    /// <summary>The addresses of the views a kernel call is given (host side).</summary>
    public static OperandAddresses Of(ArrayView<float> input, ArrayView<float> weights) =>
        new(input.LoadEffectiveAddressAsPtr().ToInt64(), weights.LoadEffectiveAddressAsPtr().ToInt64());
}
