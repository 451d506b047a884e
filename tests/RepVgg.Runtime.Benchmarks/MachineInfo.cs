using System.Runtime.Intrinsics;

namespace RepVgg.Runtime.Benchmarks;

/// <summary>What a measurement depends on: the CPU, and which vector width the CPU kernels run.</summary>
internal static class MachineInfo
{
    /// <summary>The CPU's model name from /proc/cpuinfo (Linux), or what the OS reports elsewhere.</summary>
    public static string CpuModel => CpuInfoField("model name") ?? Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER") ?? "unknown CPU";

    /// <summary>The SIMD flags that decide the kernel (avx2, fma, avx512f...), from /proc/cpuinfo.</summary>
    public static string SimdFlags =>
        CpuInfoField("flags") is { } flags
            ? string.Join(' ', flags.Split(' ').Where(f => f is "sse4_2" or "avx" or "avx2" or "fma" or "avx512f" or "avx512bw" or "avx512vl" or "avx512_vnni" or "amx_tile"))
            : "unknown";

    /// <summary>The CPU engine's kernels: the widest accelerated width (RepVgg.Cpu.VectorWidths.Widest), restated here.</summary>
    public static string KernelWidth =>
        Vector512.IsHardwareAccelerated ? "Vector512"
        : Vector256.IsHardwareAccelerated ? "Vector256"
        : Vector128.IsHardwareAccelerated ? "Vector128"
        : "scalar";

    /// <summary>Lines for the top of a report.</summary>
    public static IEnumerable<string> Describe()
    {
        yield return $"CPU: {CpuModel}, {Environment.ProcessorCount} logical cores; SIMD flags: {SimdFlags}";
        yield return $"Vector512.IsHardwareAccelerated = {Vector512.IsHardwareAccelerated}, Vector256.IsHardwareAccelerated = {Vector256.IsHardwareAccelerated}, " +
            $"Vector128.IsHardwareAccelerated = {Vector128.IsHardwareAccelerated}: our CPU kernel width is {KernelWidth}";
        yield return $".NET {Environment.Version}; ONNX Runtime {Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString()}";
    }

    private static string? CpuInfoField(string name)
    {
        if (!File.Exists("/proc/cpuinfo")) return null;
        foreach (string line in File.ReadLines("/proc/cpuinfo"))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim() == name) return line[(colon + 1)..].Trim();
        }
        return null;
    }
}
