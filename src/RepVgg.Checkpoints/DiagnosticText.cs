using System.Globalization;
using System.Text;

namespace RepVgg.Checkpoints;

/// <summary>
/// Makes text from a file safe to print in a diagnostic: a checkpoint chooses its tensor names, keys,
/// globals and headers, and a newline in one would start a line of its own in the build output (a fake
/// compiler error), while a megabyte-long one would flood it. Also linked into the build's MSBuild tasks
/// (netstandard2.0), which quote a project's metadata the same way.
/// </summary>
public static class DiagnosticText
{
    /// <summary>The longest diagnostic message, in characters; a longer one is cut and says how much was left out.</summary>
    public const int MaxMessageLength = 4000;

    /// <summary>The longest single value (a name, a header excerpt) a message quotes whole.</summary>
    public const int MaxQuotedLength = 200;

    /// <summary>
    /// <paramref name="text"/> on one line: control characters written as C# escapes (<c>\n</c>, <c>\u001b</c>),
    /// and cut to <paramref name="maxLength"/> characters with a note of how many more there were.
    /// </summary>
    public static string OneLine(string text, int maxLength = MaxMessageLength)
    {
        if (text.Length <= maxLength && !HasUnsafeCharacter(text))
            return text;

        var line = new StringBuilder(Math.Min(text.Length, maxLength) + 32);
        int used = 0;
        for (; used < text.Length && line.Length < maxLength; used++)
        {
            char c = text[used];
            line.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when IsUnsafe(c) => ((int)c).ToString("x4", CultureInfo.InvariantCulture).Insert(0, "\\u"),
                _ => c.ToString(),
            });
        }
        if (used < text.Length)
            line.Append("... (").Append((text.Length - used).ToString(CultureInfo.InvariantCulture)).Append(" more characters)");
        return line.ToString();
    }

    /// <summary>A value from the file in single quotes, on one line and at most <see cref="MaxQuotedLength"/> characters long.</summary>
    public static string Quote(string text) => $"'{OneLine(text, MaxQuotedLength)}'";

    /// <summary>
    /// Whether <paramref name="text"/> holds a character that would break a line of output, a path or a command
    /// line: see <see cref="IsUnsafe"/>.
    /// </summary>
    public static bool HasUnsafeCharacter(string text)
    {
        foreach (char c in text)
        {
            if (IsUnsafe(c)) return true;
        }
        return false;
    }

    /// <summary>Control characters, and the Unicode line and paragraph separators that some consoles break lines at.</summary>
    private static bool IsUnsafe(char c) => char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085';
}
