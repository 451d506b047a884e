using System.Text;

namespace RepVgg.Generators;

/// <summary>Builds C# source line by line: four-space indentation, <c>\n</c> line ends whatever the host.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    /// <summary>Writes one line at the current indentation; an empty line has no trailing spaces.</summary>
    public void Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', 4 * _indent).Append(line);
        _text.Append('\n');
    }

    /// <summary>Writes <c>{</c> and indents what follows.</summary>
    public void OpenBlock()
    {
        Line("{");
        _indent++;
    }

    /// <summary>Ends the indentation of <see cref="OpenBlock"/> and writes <c>}</c>.</summary>
    public void CloseBlock()
    {
        _indent--;
        Line("}");
    }

    public override string ToString() => _text.ToString();
}
