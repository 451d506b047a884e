using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RepVgg.Build.Tasks;

/// <summary>
/// What the targets ask of <c>repvgg-compile</c>, as a JSON object in a file (<c>repvgg-compile request
/// &lt;file&gt;</c> reads it): paths and metadata reach the step as data, never as a command line a shell or an
/// argument parser could split. Written in a fixed order with one value per line, so the same request is the
/// same bytes and a changed one can be told by its text (and by a person reading it).
/// </summary>
internal sealed class StepRequest
{
    private readonly List<KeyValuePair<string, string>> _fields = [];

    /// <param name="command">The step's command: <c>compile</c>, <c>probe</c> or <c>snapshot</c>.</param>
    public StepRequest(string command) => Add("command", command);

    /// <summary>Adds a string, or nothing when <paramref name="value"/> is null or empty.</summary>
    public StepRequest Add(string name, string? value)
    {
        if (!string.IsNullOrEmpty(value)) _fields.Add(new(name, Quote(value!)));
        return this;
    }

    /// <summary>Adds a whole number.</summary>
    public StepRequest Add(string name, int value)
    {
        _fields.Add(new(name, value.ToString(CultureInfo.InvariantCulture)));
        return this;
    }

    /// <summary>Adds a flag.</summary>
    public StepRequest Add(string name, bool value)
    {
        _fields.Add(new(name, value ? "true" : "false"));
        return this;
    }

    /// <summary>The request as JSON text.</summary>
    public override string ToString()
    {
        var json = new StringBuilder("{\n");
        for (int i = 0; i < _fields.Count; i++)
            json.Append("  ").Append(Quote(_fields[i].Key)).Append(": ").Append(_fields[i].Value).Append(i + 1 < _fields.Count ? ",\n" : "\n");
        return json.Append("}\n").ToString();
    }

    /// <summary>SHA-256 of the request's bytes as written (UTF-8), in lowercase hex: what the step's stamp names.</summary>
    public static string Hash(string text) => Sha256Hex(Encoding.UTF8.GetBytes(text));

    /// <summary>Lowercase hex SHA-256 of <paramref name="bytes"/>.</summary>
    public static string Sha256Hex(byte[] bytes)
    {
        using var sha = SHA256.Create();
        return Hex(sha.ComputeHash(bytes));
    }

    /// <summary>
    /// Lowercase hex SHA-256 of a file's content (a symbolic link is followed: it is the target's). At most the
    /// length the file had when opened is read, so a file that keeps growing cannot hold the build.
    /// </summary>
    public static string FileSha256Hex(string path)
    {
        using var sha = SHA256.Create();
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        byte[] buffer = new byte[1 << 20];
        for (long left = file.Length; left > 0;)
        {
            int read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0) break;
            sha.TransformBlock(buffer, 0, read, null, 0);
            left -= read;
        }
        sha.TransformFinalBlock(buffer, 0, 0);
        return Hex(sha.Hash!);
    }

    private static string Hex(byte[] hash)
    {
        var hex = new StringBuilder(hash.Length * 2);
        foreach (byte b in hash) hex.Append(b.ToString("x2", CultureInfo.InvariantCulture));
        return hex.ToString();
    }

    /// <summary>A JSON string literal: quotes, backslashes and every character below U+0020 escaped.</summary>
    private static string Quote(string value)
    {
        var json = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case < ' ' or '\u007f' or '\u2028' or '\u2029':
                    json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default: json.Append(c); break;
            }
        }
        return json.Append('"').ToString();
    }
}
