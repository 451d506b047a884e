namespace RepVgg.Gpu.Kernels;

/// <summary>
/// The implicit GEMMs' K as their packed weights lay it out (<see cref="Weights.TapQuadWeightLayout"/>,
/// <see cref="Weights.MmaWeightLayout"/>): tap-major, <c>k = tap * ChannelsPerTap + input channel</c>, each tap's input
/// channels padded with zeros to a multiple of the layout's unit (4 floats, or an mma's 8 words), so that a unit of k
/// lies at one tap and a thread reads its inputs for it through one window of the image (<see cref="InputGather.AtTap"/>).
/// In a kernel it splits k into tap and channel with a multiply-high by a reciprocal made once per thread: ptxas
/// compiles a division by a run-time value into a routine of some twenty instructions.
/// </summary>
internal readonly struct TapMajorK
{
    /// <summary>Taps of a 3 x 3 kernel.</summary>
    public const int Taps = 9;

    // ceil(2^32 / ChannelsPerTap).
    private readonly uint _reciprocal;

    /// <param name="channelsPerTap">The layer's <see cref="PaddedChannels"/>: at least 2.</param>
    public TapMajorK(int channelsPerTap)
    {
        ChannelsPerTap = channelsPerTap;
        _reciprocal = uint.MaxValue / (uint)channelsPerTap + 1;
    }

    /// <summary>Input channels per tap in K, padding included.</summary>
    public int ChannelsPerTap { get; }

    /// <summary>Input channels per tap: <paramref name="inPerGroup"/> rounded up to a multiple of <paramref name="unit"/>.</summary>
    public static int PaddedChannels(int inPerGroup, int unit) => (inPerGroup + unit - 1) / unit * unit;

    /// <summary>
    /// The tap of <paramref name="k"/> (0 &lt;= k): <c>k / ChannelsPerTap</c>, exact while k x ChannelsPerTap &lt; 2^32,
    /// which K and the step or two past it that a kernel's prefetch reads keep for up to 20,000 channels per tap.
    /// </summary>
    public int Tap(int k) => (int)((ulong)(uint)k * _reciprocal >> 32);

    /// <summary>The input channel of <paramref name="k"/>, whose tap is <paramref name="tap"/>.</summary>
    public int Channel(int k, int tap) => k - tap * ChannelsPerTap;

    /// <summary>
    /// <c>n / 3</c> for 0 &lt;= n &lt; 32, which covers every tap a kernel asks for (the 9 and the few past them that a
    /// prefetch past K reads): <c>11 n / 32</c>, a multiply and a shift. ptxas turns a <c>div.s32</c> by a constant into
    /// the general division (a reciprocal and its corrections, about 20 instructions); compilers strength-reduce it
    /// before PTX, and ILGPU does not.
    /// </summary>
    public static int DivideBy3(int n) => n * 11 >> 5;
}
