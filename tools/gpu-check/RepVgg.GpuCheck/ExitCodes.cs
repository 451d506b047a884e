namespace RepVgg.GpuCheck;

/// <summary>What the process exit code says; run.sh and the README list them too.</summary>
internal static class ExitCodes
{
    /// <summary>Every check passed (or, for a checkpoint, the logits were written).</summary>
    public const int Passed = 0;

    /// <summary>A GPU result is further from the float64 reference than the bound.</summary>
    public const int CheckFailed = 1;

    /// <summary>The command line was not understood.</summary>
    public const int Usage = 2;

    /// <summary>No GPU engine: no CUDA driver or device, or a build whose GPU backend cannot make one; the message says which.</summary>
    public const int NoGpu = 3;

    /// <summary>A checkpoint or input file could not be used: a weights-step diagnostic, a missing file, a wrong length.</summary>
    public const int BadInput = 4;

    /// <summary>Anything else: a bug or a device failure, with the exception printed.</summary>
    public const int Failed = 5;
}
