namespace RepVgg.Gpu.Kernels;

/// <summary>How <see cref="Conv3x3MmaKernel"/> reads the channels of a B fragment from the channels-last input.</summary>
internal interface IChannelReads
{
    /// <summary>Whether one 8-byte (TF32) or 16-byte (FP16) load reads them all.</summary>
    bool Vector { get; }
}
