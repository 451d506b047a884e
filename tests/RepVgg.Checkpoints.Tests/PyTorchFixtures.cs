namespace RepVgg.Checkpoints.Tests;

/// <summary>
/// The checkpoints PyTorch itself wrote, in the shared fixtures folder beside the repository:
/// found by walking up from the test binaries to the folder that holds Compiler.sln.
/// </summary>
internal static class PyTorchFixtures
{
    public static string Folder { get; } = Locate();

    public static string OfficialPth => Path.Combine(Folder, "tiny_official_train.pth");

    public static string WrappedPth => Path.Combine(Folder, "tiny_official_train_wrapped.pth");

    public static string TimmSafetensors => Path.Combine(Folder, "tiny_timm_train.safetensors");

    private static string Locate()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Compiler.sln")))
                return Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "fixtures", "pytorch"));
        }
        throw new InvalidOperationException($"Expected a folder holding Compiler.sln above {AppContext.BaseDirectory}; found none.");
    }
}
