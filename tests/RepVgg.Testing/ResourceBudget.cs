using System.Diagnostics;
using Xunit.Sdk;

namespace RepVgg.Testing;

/// <summary>
/// Runs a read of a hostile or unusual file under a time and memory budget: the bounds the readers
/// promise whatever a file holds. Memory is what the reading thread allocated
/// (<see cref="GC.GetAllocatedBytesForCurrentThread"/>), so a bomb fails the test instead of the machine.
/// </summary>
public static class ResourceBudget
{
    /// <summary>
    /// Runs <paramref name="read"/> on a thread of its own and returns the exception it threw, or null.
    /// Fails when it allocates more than <paramref name="maxBytes"/> or runs longer than <paramref name="maxTime"/>
    /// (a read that never ends is abandoned after that time).
    /// </summary>
    public static Exception? Run(Action read, long maxBytes, TimeSpan maxTime, string what)
    {
        long allocated = 0;
        Exception? thrown = null;
        var clock = Stopwatch.StartNew();
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                read();
            }
            catch (Exception e)
            {
                thrown = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }) { IsBackground = true };
        thread.Start();
        if (!thread.Join(maxTime))
            throw new XunitException($"{what}: still running after {maxTime.TotalSeconds:F1} s; expected it to finish within that.");
        if (allocated > maxBytes)
            throw new XunitException($"{what}: allocated {allocated / 1e6:F1} MB; expected at most {maxBytes / 1e6:F1} MB.");
        return thrown;
    }
}
