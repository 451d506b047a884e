namespace RepVgg.Gpu.Kernels;

/// <summary>One load per channel: for any other group.</summary>
internal readonly struct ScalarReads : IChannelReads
{
    public bool Vector => false;
}
