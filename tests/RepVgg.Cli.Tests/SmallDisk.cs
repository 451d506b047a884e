using System.Diagnostics;

namespace RepVgg.Cli.Tests;

/// <summary>
/// A tmpfs of a given size mounted on a fresh folder, for writing onto a disk that fills up; unmounted on dispose.
/// Mounting needs root (CI runs as root on Debian): elsewhere <see cref="SmallDiskFactAttribute"/> skips the test.
/// </summary>
internal sealed class SmallDisk : IDisposable
{
    private readonly TemporaryFolder _mountPoint = new();

    public SmallDisk(string size)
    {
        (int exitCode, string output) = ChildProcess.Run(new ProcessStartInfo("mount", ["-t", "tmpfs", "-o", $"size={size}", "tmpfs", _mountPoint.Path]));
        if (exitCode != 0)
        {
            _mountPoint.Dispose();
            throw new InvalidOperationException($"mount -t tmpfs -o size={size} failed (exit code {exitCode}): {output}");
        }
    }

    public string Path => _mountPoint.Path;

    public string File(string name) => _mountPoint.File(name);

    /// <summary>Fills what is left of the disk with one file, so the next write of any size fails with "No space left".</summary>
    public void Fill()
    {
        using var filler = new FileStream(File("filler"), FileMode.CreateNew);
        var chunk = new byte[4096];
        try
        {
            while (true) filler.Write(chunk);
        }
        catch (IOException)
        {
            // Full: what was written stays, and the rest of the disk is gone.
        }
    }

    public void Dispose()
    {
        (int exitCode, string output) = ChildProcess.Run(new ProcessStartInfo("umount", [_mountPoint.Path]));
        Assert.True(exitCode == 0, $"umount {_mountPoint.Path} failed (exit code {exitCode}): {output}");
        _mountPoint.Dispose();
    }
}

/// <summary>A fact that mounts a <see cref="SmallDisk"/>: skipped when not root, except under CI=true, where it must run.</summary>
public sealed class SmallDiskFactAttribute : FactAttribute
{
    public SmallDiskFactAttribute()
    {
        if (!CiEnvironment.IsCi && Environment.UserName != "root")
            Skip = "Mounting a tmpfs to fill needs root; run the tests as root (CI does) to try a full disk.";
    }
}
