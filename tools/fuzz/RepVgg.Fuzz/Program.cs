using System.Diagnostics;
using System.Globalization;
using RepVgg.Checkpoints;
using RepVgg.Compiler;
using RepVgg.Compiler.Diagnostics;
using RepVgg.Fuzz;
using RepVgg.Fuzz.Mutations;

// A seeded mutation fuzzer for the .pth, pickle and safetensors readers and the weights step.
// Every input is a pure function of (seed, iteration): --replay N rebuilds and reruns iteration N.
// tools/fuzz/run.sh builds it in Release, caps its heap and restarts it after a hang or a crash.
//
//   RepVgg.Fuzz [--seconds 300] [--seed 1] [--out /tmp/repvgg-fuzz] [--start 0] [--replay N]
// Exit codes: 0 done; 75 gave up on a hung input (the next iteration is in <out>/next-iteration).

var arguments = new Arguments(args);
long fuzzSeed = arguments.Long("--seed", 1);
string output = Path.GetFullPath(arguments.Text("--out", Path.Combine(Path.GetTempPath(), "repvgg-fuzz")));
string work = Path.Combine(output, "work");
Directory.CreateDirectory(work);

// A hang is an input still running after 10 s: the largest real checkpoint a build reads (RepVGG-B3,
// 500 MB) compiles in about that, and every corpus file here is at most 1 MB, compiled in milliseconds.
TimeSpan hangLimit = TimeSpan.FromSeconds(arguments.Long("--hang-seconds", 10));
// After the limit the input gets this long to finish, to tell a slow input (reported with its time)
// from a stuck one; a thread cannot be stopped, so then the process exits and run.sh restarts it.
TimeSpan hangGrace = TimeSpan.FromSeconds(50);
// Slower than this (and again when rerun, so a busy machine is not reported) is a finding of its own:
// quadratic work on a small file shows up here long before it hangs.
TimeSpan slowLimit = TimeSpan.FromSeconds(2);

List<Seed> corpus = SeedCorpus.Build(FindRepositoryRoot(), Path.Combine(output, "seeds"));
var findings = new Findings(Path.Combine(output, "findings"));

if (arguments.Has("--replay"))
{
    long iteration = arguments.Long("--replay", 0);
    Input input = MakeInput(iteration);
    string path = Path.Combine(output, $"replay-{fuzzSeed}-{iteration}{input.Seed.Extension}");
    File.WriteAllBytes(path, input.Bytes);
    Outcome outcome = InputRunner.Run(path, input.Target, input.Options, hangLimit, out _);
    Console.WriteLine($"input written to {path}");
    Console.WriteLine(Findings.Report(fuzzSeed, iteration, input.Seed.Name, input.Strategy.Name, input.Target, Describe(input.Options),
        input.Notes, outcome, Budget(input.Bytes.Length), input.Bytes.Length));
    Console.WriteLine($"finding: {Findings.Classify(outcome, Budget(input.Bytes.Length), slowLimit) ?? "none"}");
    return 0;
}

Console.WriteLine($"fuzz: seed {fuzzSeed}, {corpus.Count} corpus files, output {output}");
foreach (Seed seed in corpus)
{
    // Every corpus file must compile (or be refused cleanly) within the limits, or every finding is noise.
    string path = Path.Combine(work, "seed-check" + seed.Extension);
    File.WriteAllBytes(path, seed.Bytes);
    Outcome check = InputRunner.Run(path, Target.Compile, new CompileOptions(), hangLimit, out _);
    string result = check.Exception is CompilationException c ? c.Diagnostic.Id : check.Exception?.GetType().Name ?? "compiles";
    Console.WriteLine($"  {seed.Name,-36} {seed.Bytes.Length,9:N0} bytes  {result,-14} {check.Elapsed.TotalMilliseconds,6:F0} ms {check.AllocatedBytes / 1e6,8:F1} MB allocated");
}

long seconds = arguments.Long("--seconds", 300);
long start = arguments.Long("--start", 0);
var clock = Stopwatch.StartNew();
var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
var perStrategy = Strategy.All.ToDictionary(s => s.Name, _ => (Inputs: 0, Findings: 0));
var slowest = new List<(TimeSpan Time, long Iteration)>();
long next = start, lastProgress = 0;
int exitCode = 0;
for (; clock.Elapsed.TotalSeconds < seconds; next++)
{
    // Read by run.sh when the process dies (stack overflow, killed for memory) to save the input as a finding.
    string state = Path.Combine(work, "current.txt");
    File.WriteAllText(state, $"{fuzzSeed} {next} (the input was not made yet)\n");
    Input input = MakeInput(next);
    string path = Path.Combine(work, "current" + input.Seed.Extension);
    File.WriteAllBytes(path, input.Bytes);
    File.WriteAllText(state, $"{fuzzSeed} {next} {path}\n{string.Join("\n", input.Notes)}\n");

    long budget = Budget(input.Bytes.Length);
    Outcome outcome = InputRunner.Run(path, input.Target, input.Options, hangLimit, out Thread worker);
    string? kind = Findings.Classify(outcome, budget, slowLimit);
    if (kind == "slow" && Findings.Classify(InputRunner.Run(path, input.Target, input.Options, hangLimit, out worker), budget, slowLimit) != "slow")
        kind = null;
    bool abandoned = !outcome.Finished && !worker.Join(hangGrace);
    if (!outcome.Finished && !abandoned)
        input.Notes.Add($"(the input finished within {hangGrace.TotalSeconds:F0} s after the limit)");

    outcomes[Summarise(outcome)] = outcomes.GetValueOrDefault(Summarise(outcome)) + 1;
    var counts = perStrategy[input.Strategy.Name];
    perStrategy[input.Strategy.Name] = (counts.Inputs + 1, counts.Findings + (kind is null ? 0 : 1));
    slowest.Add((outcome.Elapsed, next));
    if (slowest.Count > 20) slowest = [.. slowest.OrderByDescending(s => s.Time).Take(5)];

    if (kind is not null)
    {
        string report = Findings.Report(fuzzSeed, next, input.Seed.Name, input.Strategy.Name, input.Target, Describe(input.Options),
            input.Notes, outcome, budget, input.Bytes.Length);
        if (findings.Record(kind, outcome, input.Strategy.Name, path, report) is { } saved)
            Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F0} s] NEW {kind} at iteration {next} ({input.Strategy.Name}): {Findings.Describe(outcome.Exception)} -> {saved}");
    }
    if (abandoned)
    {
        Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F0} s] iteration {next} is still running {hangGrace.TotalSeconds:F0} s after the limit; giving up on this process.");
        File.WriteAllText(Path.Combine(output, "next-iteration"), (next + 1).ToString(CultureInfo.InvariantCulture));
        next++;
        exitCode = 75;
        break;
    }
    if (clock.ElapsedMilliseconds - lastProgress >= 10_000)
    {
        lastProgress = clock.ElapsedMilliseconds;
        Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F0} s] {next - start + 1} inputs ({(next - start + 1) / clock.Elapsed.TotalSeconds:F0}/s), " +
            $"{findings.Counts.Values.Sum()} findings, {findings.Counts.Count} distinct");
    }
}

Console.WriteLine();
Console.WriteLine($"fuzz summary: seed {fuzzSeed}, iterations {start}..{next - 1} ({next - start} inputs) in {clock.Elapsed.TotalSeconds:F0} s, " +
    $"{(next - start) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F0} inputs/s");
Console.WriteLine("outcomes:");
foreach (var (what, count) in outcomes.OrderByDescending(o => o.Value)) Console.WriteLine($"  {count,8}  {what}");
Console.WriteLine("strategies (inputs, findings):");
foreach (var (name, (inputs, found)) in perStrategy) Console.WriteLine($"  {name,-20} {inputs,8} {found,6}");
Console.WriteLine("slowest inputs: " + string.Join(", ", slowest.OrderByDescending(s => s.Time).Take(5).Select(s => $"#{s.Iteration} {s.Time.TotalMilliseconds:F0} ms")));
Console.WriteLine(findings.Counts.Count == 0 ? "findings: none" : "findings in the folder, with how many inputs of this run hit each:");
foreach (var (key, count) in findings.Counts) Console.WriteLine($"  {count,6}  {key}");
return exitCode;

// Everything about iteration `iteration` comes from one Random seeded by (seed, iteration).
Input MakeInput(long iteration)
{
    var random = new Random(Mix(fuzzSeed, iteration));
    // The 1 MB PyTorch fixtures take 30 ms each to write and compile, the rest about 1 ms: an eighth of
    // the inputs come from them, enough for what only real files hold, without slowing the rest fortyfold.
    var large = corpus.Where(s => s.Bytes.Length > 100_000).ToList();
    var small = corpus.Where(s => s.Bytes.Length <= 100_000).ToList();
    List<Seed> from = large.Count > 0 && (small.Count == 0 || random.Next(8) == 0) ? large : small;
    Seed seed = from[random.Next(from.Count)];
    var applicable = Strategy.All.Where(s => s.AppliesTo(seed)).ToList();
    int draw = random.Next(applicable.Sum(s => s.Weight));
    Strategy strategy = applicable.First(s => (draw -= s.Weight) < 0);
    var context = new MutationContext(random, corpus);
    byte[] bytes;
    try
    {
        bytes = strategy.Mutate(seed, Path.Combine(work, "scratch.pth"), context);
    }
    catch (ArgumentException)
    {
        // A mutator asked a writer for something it refuses (a shape its values do not fill): the
        // mutator's mistake, not a finding; this iteration fuzzes the unmutated seed instead.
        bytes = seed.Bytes;
    }
    // The project's metadata is trusted, so only values a project could really set are drawn.
    CompileOptions options = random.Next(8) switch
    {
        0 => new CompileOptions { StateDictKey = context.Pick(new[] { "state_dict", "model", "state_dict_ema", "epoch", "absent" }) },
        1 => new CompileOptions { Strides = context.Pick(new int[][] { [1, 2], [1, 1], [2, 2, 2, 2, 2] }) },
        2 => new CompileOptions { InputHeight = context.Pick(new[] { 1, 8, 33 }), InputWidth = context.Pick(new[] { 1, 8, 47 }) },
        _ => new CompileOptions(),
    };
    Target target = random.Next(4) == 0 ? Target.ReadAll : Target.Compile;
    return new Input(seed, strategy, bytes, options, target, context.Notes);
}

// Linear work needs at most a few copies of the file, in float64 (8 bytes per float16 element is 4x, per
// float32 2x); 64x leaves room for that and for planning, and 64 MB covers a tiny file's fixed costs
// (the blob of the smallest network, JIT-time data). A data.pkl bomb or a huge expanded view far exceeds it.
static long Budget(long inputLength) => 64 * inputLength + (64L << 20);

static int Mix(long seed, long iteration)
{
    ulong z = (ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)iteration;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
    return (int)(z ^ (z >> 31));
}

static string Summarise(Outcome outcome) => outcome.Exception switch
{
    _ when !outcome.Finished => "still running at the limit",
    null => "read without error",
    CompilationException c => $"CompilationException {c.Diagnostic.Id}",
    CheckpointException c => $"CheckpointException {c.Problem}",
    var e => e.GetType().Name,
};

static string Describe(CompileOptions o) =>
    $"StateDictKey={o.StateDictKey ?? "(default)"}, Strides={(o.Strides is null ? "(default)" : string.Join(",", o.Strides))}, Input={o.InputHeight?.ToString() ?? "(default)"}x{o.InputWidth?.ToString() ?? "(default)"}";

static string FindRepositoryRoot()
{
    for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        if (File.Exists(Path.Combine(dir, "Compiler.sln"))) return dir;
    throw new InvalidOperationException($"No Compiler.sln above {AppContext.BaseDirectory}.");
}

/// <summary>One input: where it came from, its bytes, and how it is read.</summary>
internal sealed record Input(Seed Seed, Strategy Strategy, byte[] Bytes, CompileOptions Options, Target Target, List<string> Notes);

/// <summary>The command line: <c>--name value</c> pairs.</summary>
internal sealed class Arguments(string[] args)
{
    public bool Has(string name) => Array.IndexOf(args, name) >= 0;

    public string Text(string name, string fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }

    public long Long(string name, long fallback) => long.Parse(Text(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
}
