using System.Text;
using RepVgg.Manifest;
using RepVgg.Checkpoints;
using RepVgg.Compiler.Diagnostics;

namespace RepVgg.Fuzz;

/// <summary>
/// The findings of a run, deduplicated: an unexpected exception by its type and top stack frame, a hang
/// by the strategy that made the input (a hung thread's stack cannot be read), an over-budget allocation
/// by where the input ended. The first input of each is saved with a report; later ones are only counted.
/// </summary>
internal sealed class Findings
{
    private readonly string _folder;
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private int _saved;

    /// <summary>Continues the findings already in <paramref name="folder"/>, so a restarted run neither saves one twice nor reuses a number.</summary>
    public Findings(string folder)
    {
        _folder = folder;
        Directory.CreateDirectory(folder);
        string index = Path.Combine(folder, "index.txt");
        foreach (string line in File.Exists(index) ? File.ReadAllLines(index) : [])
        {
            _saved++;
            _counts[line[(line.IndexOf('\t') + 1)..]] = 0;
        }
    }

    public IReadOnlyDictionary<string, int> Counts => _counts;

    /// <summary>What kind of finding an outcome is, or null when it is none.</summary>
    public static string? Classify(Outcome outcome, long allocationBudget, TimeSpan slow)
    {
        if (!outcome.Finished)
            return "hang";
        if (outcome.Exception is not (null or CheckpointException or CompilationException) || IsInternalError(outcome.Exception))
            return "crash";
        if (outcome.AllocatedBytes > allocationBudget)
            return "allocation";
        return outcome.Elapsed > slow ? "slow" : null;
    }

    /// <summary>Counts the finding; for a new one saves the input and a report, and returns its folder.</summary>
    public string? Record(string kind, Outcome outcome, string strategy, string inputPath, string report)
    {
        string key = kind switch
        {
            "hang" => $"hang in {strategy}",
            _ => $"{kind}: {Describe(outcome.Exception)}",
        };
        bool known = _counts.ContainsKey(key);
        _counts[key] = _counts.GetValueOrDefault(key) + 1;
        if (known)
            return null;
        string saved = Path.Combine(_folder, $"{++_saved:000}-{kind}");
        Directory.CreateDirectory(saved);
        File.Copy(inputPath, Path.Combine(saved, "input" + Path.GetExtension(inputPath)), overwrite: true);
        File.WriteAllText(Path.Combine(saved, "report.txt"), $"{key}\n\n{report}");
        File.AppendAllText(Path.Combine(_folder, "index.txt"), $"{Path.GetFileName(saved)}\t{key}\n");
        return saved;
    }

    /// <summary>
    /// RVG0022: the weights step turns an exception it did not foresee into this diagnostic, so a build
    /// fails cleanly; for the fuzzer it is still a crash, described by the exception it carries.
    /// </summary>
    private static bool IsInternalError(Exception? exception) =>
        exception is CompilationException { Diagnostic.Id: DiagnosticIds.InternalError };

    /// <summary>The exception's type and the first frame of its stack, or "completed" when there was none.</summary>
    public static string Describe(Exception? exception)
    {
        if (exception is null)
            return "completed";
        if (IsInternalError(exception) && exception.InnerException is { } inner)
            return "RVG0022 " + Describe(inner);
        string frame = exception.StackTrace?.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "no stack";
        int file = frame.IndexOf(" in /", StringComparison.Ordinal);
        return $"{exception.GetType().Name} {(file > 0 ? frame[..file] : frame)}";
    }

    public static string Report(long seed, long iteration, string seedName, string strategy, Target target,
        string options, IEnumerable<string> notes, Outcome outcome, long budget, long inputLength)
    {
        var text = new StringBuilder();
        text.AppendLine($"seed {seed}, iteration {iteration}  (reproduce: tools/fuzz/run.sh --replay {iteration} --seed {seed})");
        text.AppendLine($"corpus file: {seedName}; strategy: {strategy}; target: {target}; options: {options}");
        text.AppendLine($"input: {inputLength} bytes; time: {outcome.Elapsed.TotalMilliseconds:F0} ms{(outcome.Finished ? "" : " (still running)")}; " +
            $"allocated: {outcome.AllocatedBytes:N0} bytes (budget {budget:N0})");
        text.AppendLine("mutations:");
        foreach (string note in notes) text.AppendLine("  " + note);
        text.AppendLine();
        text.AppendLine(outcome.Exception?.ToString() ?? (outcome.Finished ? "no exception" : "no exception yet: the thread was still running"));
        return text.ToString();
    }
}
