using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using RepVgg.Gpu.TensorCores;
using RepVgg.Gpu.Weights;

namespace RepVgg.Gpu.Kernels;

/// <summary>One load per channel: for any other group.</summary>
internal readonly struct ScalarReads : IChannelReads
{
    public bool Vector => false;
}
