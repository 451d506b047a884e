namespace RepVgg.Testing;

/// <summary>
/// Whether the tests run in CI (<c>CI=true</c>, set by .ci/run): there a tool a test needs (PyTorch, ptxas) must be
/// present, because .ci/run installs it, and a missing one fails the test instead of skipping it.
/// </summary>
public static class CiEnvironment
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
