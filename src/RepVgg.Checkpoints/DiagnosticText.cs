using System.Globalization;
using System.Text;

namespace RepVgg.Checkpoints;

/// <summary>
/// Makes text from a file safe to print in a diagnostic: a checkpoint chooses its tensor names, keys,
/// globals and headers, and a newline in one would start a line of its own in the build output (a fake
/// compiler error), while a megabyte-long one would flood it.
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
        bool clean = text.Length <= maxLength;
        foreach (char c in text.AsSpan(0, Math.Min(text.Length, maxLength)))
            clean &= !IsUnsafe(c);
        if (clean)
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
            line.Append(CultureInfo.InvariantCulture, $"... ({text.Length - used} more characters)");
        return line.ToString();
    }

    /// <summary>A value from the file in single quotes, on one line and at most <see cref="MaxQuotedLength"/> characters long.</summary>
    public static string Quote(string text) => $"'{OneLine(text, MaxQuotedLength)}'";

    /// <summary>Control characters, and the Unicode line and paragraph separators that some consoles break lines at.</summary>
    private static bool IsUnsafe(char c) => char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085';
}
