using System.Globalization;

namespace RepVgg.GpuCheck;

/// <summary>Which ILGPU accelerator the GPU engine runs on.</summary>
internal enum GpuAccelerator
{
    /// <summary>An NVIDIA GPU through CUDA: what <c>Backend.Gpu</c> gives a user's app.</summary>
    Cuda,

    /// <summary>ILGPU's CPU accelerator: the same kernels, slowly, on any machine.</summary>
    Cpu,
}

/// <summary>The command line is wrong; the message says how.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// <c>--name value</c> options, each allowed at most once; anything else is a <see cref="UsageException"/>, so a
/// misspelt option is never silently ignored.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> _values = [];
    private readonly HashSet<string> _read = [];

    public CommandLine(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"Expected an option (--name value); found '{name}'.");
            if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"Option {name} needs a value.");
            if (!_values.TryAdd(name, args[++i]))
                throw new UsageException($"Option {name} is given twice.");
        }
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Optional(string name)
    {
        _read.Add(name);
        return _values.GetValueOrDefault(name);
    }

    public string Required(string name) => Optional(name) ?? throw new UsageException($"Missing option {name} <value>.");

    public int PositiveInt(string name)
    {
        string text = Required(name);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new UsageException($"{name} must be a positive whole number; found '{text}'.");
    }

    public GpuAccelerator Accelerator() => Optional("--accelerator") switch
    {
        null or "cuda" => GpuAccelerator.Cuda,
        "cpu" => GpuAccelerator.Cpu,
        string other => throw new UsageException($"--accelerator must be cuda or cpu; found '{other}'."),
    };

    public Precision Precision() => Optional("--precision") is { } name
        ? PrecisionNamed(name) ?? throw new UsageException($"--precision must be fp32, tf32 or fp16; found '{name}'.")
        : RepVgg.Precision.Fp32;

    /// <summary>
    /// <c>--precisions</c>: a comma-separated subset of fp32, tf32 and fp16, in the check's order (FP32 first) whatever
    /// the order given; null when the option is absent.
    /// </summary>
    public IReadOnlyList<Precision>? Precisions()
    {
        if (Optional("--precisions") is not { } text)
            return null;
        var chosen = text.Split(',', StringSplitOptions.TrimEntries)
            .Select(name => PrecisionNamed(name) ?? throw new UsageException($"--precisions must be a comma-separated list of fp32, tf32 or fp16; found '{name}'."))
            .ToHashSet();
        return Enum.GetValues<Precision>().Where(chosen.Contains).ToArray();
    }

    /// <summary>The precision a command line names fp32, tf32 or fp16; null for any other name.</summary>
    private static Precision? PrecisionNamed(string name) => name switch
    {
        "fp32" => RepVgg.Precision.Fp32,
        "tf32" => RepVgg.Precision.Tf32,
        "fp16" => RepVgg.Precision.Fp16,
        _ => null,
    };

    /// <summary>Call after reading every option the mode knows: any option left over is a mistake.</summary>
    public void RejectUnread(string mode)
    {
        string[] unknown = _values.Keys.Where(name => !_read.Contains(name)).ToArray();
        if (unknown.Length > 0)
            throw new UsageException($"Unknown option{(unknown.Length > 1 ? "s" : "")} for {mode}: {string.Join(", ", unknown)}.");
    }
}
