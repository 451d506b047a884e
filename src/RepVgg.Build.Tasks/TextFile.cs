using System.Text;

namespace RepVgg.Build.Tasks;

/// <summary>The small text files the tasks write (requests), each written whole or not at all.</summary>
internal static class TextFile
{
    /// <summary>
    /// Writes <paramref name="text"/> (UTF-8, no byte order mark) to <paramref name="path"/> unless the file already
    /// holds exactly that, so its time stamp changes only with its content. The text goes to a temporary file in
    /// the same folder first, which is then renamed over the target: a reader sees the old file or the new one,
    /// never a part.
    /// </summary>
    /// <returns>Whether the file was written.</returns>
    public static bool WriteIfChanged(string path, string text)
    {
        byte[] bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text);
        if (File.Exists(path) && File.ReadAllBytes(path).SequenceEqual(bytes)) return false;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(bytes, 0, bytes.Length);
                file.Flush(flushToDisk: true);
            }
            if (File.Exists(path)) File.Replace(temporary, path, destinationBackupFileName: null);
            else File.Move(temporary, path);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
        return true;
    }
}
