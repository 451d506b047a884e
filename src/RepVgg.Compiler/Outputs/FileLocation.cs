using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace RepVgg.Compiler.Outputs;

/// <summary>
/// Where a path leads on disk, so that two spellings of one file compare equal: the full path with every symbolic
/// link resolved, the file's own and each folder's above it (a file that does not exist yet is its resolved folder
/// and name), and on Linux, for a file that exists, its device and inode, which also catch hard links.
/// </summary>
/// <param name="Path">The resolved full path.</param>
/// <param name="Identity">Device and inode of an existing file on Linux, else null.</param>
internal readonly record struct FileLocation(string Path, (ulong Device, ulong Inode)? Identity)
{
    /// <summary>Links followed in one path before giving up, as the kernel's 40 (ELOOP): a loop of links must end.</summary>
    private const int MaxLinks = 40;

    public static FileLocation Of(string path)
    {
        string resolved = Resolve(path, links: 0);
        return new FileLocation(resolved, IdentityOf(resolved));
    }

    /// <summary>Whether both lead to one file: the same resolved path, or the same device and inode.</summary>
    public bool IsSameFileAs(FileLocation other) =>
        string.Equals(Path, other.Path, OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase)
        || (Identity is not null && Identity == other.Identity);

    private static string Resolve(string path, int links)
    {
        string full = System.IO.Path.GetFullPath(path);
        string root = System.IO.Path.GetPathRoot(full)!, resolved = root;
        foreach (string part in full[root.Length..].Split([System.IO.Path.DirectorySeparatorChar, System.IO.Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries))
        {
            resolved = System.IO.Path.Combine(resolved, part);
            // A relative target is relative to the link's folder, and may pass through links of its own.
            if (links < MaxLinks && new FileInfo(resolved).LinkTarget is { } target)
                resolved = Resolve(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(resolved)!, target), links + 1);
        }
        return resolved;
    }

    /// <summary>
    /// <c>st_dev</c> and <c>st_ino</c> from <c>stat(2)</c>: the first two 8-byte fields of <c>struct stat</c> on 64-bit
    /// Linux (x64 and Arm64 alike). Elsewhere, or for a file that does not exist, null: the path alone decides.
    /// </summary>
    private static (ulong, ulong)? IdentityOf(string path)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.Arm64))
            return null;
        byte[] stat = new byte[256]; // struct stat is 144 bytes on x64, 128 on Arm64
        try
        {
            if (Stat(path, stat) != 0) return null;
        }
        catch (EntryPointNotFoundException)
        {
            return null; // glibc before 2.33 exports only __xstat
        }
        return (BinaryPrimitives.ReadUInt64LittleEndian(stat), BinaryPrimitives.ReadUInt64LittleEndian(stat.AsSpan(8)));
    }

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat(string path, byte[] buffer);
}
