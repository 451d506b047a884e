using System.Diagnostics;

namespace RepVgg.Cli;

/// <summary>
/// One updating line on standard error for steps that take more than a second (fusing a large checkpoint block
/// by block, the float64 reference). Only for a terminal: never in standard output, JSON or a redirected log.
/// </summary>
/// <param name="terminal">Standard error when it is a terminal, or null to show nothing.</param>
/// <param name="delay">How long a step runs before its line appears, so quick steps leave no trace.</param>
internal sealed class ProgressDisplay(TextWriter? terminal, TimeSpan delay)
{
    /// <summary>Shows nothing.</summary>
    public static readonly ProgressDisplay None = new(null, TimeSpan.Zero);

    /// <summary>Redraws at most this often: a terminal is slow next to a block of a small network.</summary>
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Starts a step; disposing it erases its line.</summary>
    public Step Start(string name) => new(terminal, delay, name);

    internal sealed class Step(TextWriter? terminal, TimeSpan delay, string name) : IDisposable
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _drawnAt;
        private int _drawnLength;

        /// <summary>Shows "<c>name: done/total unit</c>" with the time so far.</summary>
        public void Report(int done, int total, string unit)
        {
            TimeSpan now = _clock.Elapsed;
            if (terminal is null || now < delay || (done < total && _drawnLength > 0 && now - _drawnAt < RedrawInterval)) return;
            string line = $"{name}: {done}/{total} {unit}, {now.TotalSeconds:F1} s";
            // '\r' returns to the line's start; spaces cover a longer line drawn before.
            terminal.Write("\r" + line.PadRight(_drawnLength));
            terminal.Flush();
            (_drawnAt, _drawnLength) = (now, line.Length);
        }

        public void Dispose()
        {
            if (terminal is null || _drawnLength == 0) return;
            terminal.Write("\r" + new string(' ', _drawnLength) + "\r");
            terminal.Flush();
            _drawnLength = 0;
        }
    }
}
