using BenchmarkDotNet.Running;
using RepVgg.Runtime.Benchmarks;

// dotnet run -c Release --project tests/RepVgg.Runtime.Benchmarks -- --filter '*'   BenchmarkDotNet, every benchmark
// dotnet run -c Release --project tests/RepVgg.Runtime.Benchmarks -- --layers [A0]  per-layer times, ours and ORT's, to docs/cpu-layers-a0.md
//                                                                      (--layers D2se: with each squeeze-and-excitation's cost, to docs/cpu-layers-d2se.md)
// dotnet run -c Release --project tests/RepVgg.Runtime.Benchmarks -- --memory A0    peak memory of one batch-1 inference against its budget

// A table means little without the machine: the CPU and which kernel width ran.
foreach (string line in MachineInfo.Describe()) Console.WriteLine($"// {line}");

int memory = Array.IndexOf(args, "--memory");
if (memory >= 0)
    return MemoryReport.Run(memory + 1 < args.Length ? args[memory + 1] : "A0");
if (args is ["--measure-memory", string measured])
    return MemoryReport.Measure(measured);

int layers = Array.IndexOf(args, "--layers");
if (layers >= 0)
{
    string model = layers + 1 < args.Length && !args[layers + 1].StartsWith("--", StringComparison.Ordinal) ? args[layers + 1] : "A0";
    int output = Array.IndexOf(args, "--output");
    return LayerTimings.Run(model, output >= 0 && output + 1 < args.Length
        ? args[output + 1]
        : Path.Combine(RepositoryRoot(), "docs", $"cpu-layers-{model.ToLowerInvariant()}.md"));
}
// In-process always: a job given on the command line (--job short) then runs in-process too, instead of
// beside an attribute's in-process job as a second, out-of-process one that rebuilds this project.
string[] benchmarkArgs = args.Contains("--inProcess") ? args : [.. args, "--inProcess"];
BenchmarkSwitcher.FromAssembly(typeof(CpuVersusOnnxRuntime).Assembly).Run(benchmarkArgs);
return 0;

static string RepositoryRoot()
{
    for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
    {
        if (File.Exists(Path.Combine(dir, "Compiler.sln"))) return dir;
    }
    throw new InvalidOperationException($"No Compiler.sln above {AppContext.BaseDirectory}; pass --output <file>.");
}
