using Xunit.Sdk;

namespace RepVgg.Testing;

/// <summary>Asserts that code allocates nothing per call on the calling thread (<see cref="GC.GetAllocatedBytesForCurrentThread"/>).</summary>
public static class AllocationAssert
{
    /// <summary>
    /// Runs <paramref name="window"/> (some calls of the code under test) up to <paramref name="windows"/> times, until
    /// one run allocates nothing on this thread, and fails if none does. An allocation per call shows in every window;
    /// the runtime may charge a one-time allocation of its own to the thread in one of them (a clean-clone CI run once
    /// saw 4,776 bytes in one window of the CPU engine's calls, among hundreds of tests running in parallel, which
    /// never recurred with the test alone).
    /// </summary>
    public static void NothingPerCall(Action window, int windows = 3)
    {
        var allocated = new List<long>();
        do
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            window();
            allocated.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        while (allocated[^1] != 0 && allocated.Count < windows);
        if (allocated[^1] != 0)
            throw new XunitException($"Every window allocated: {string.Join(", ", allocated)} bytes.");
    }
}
