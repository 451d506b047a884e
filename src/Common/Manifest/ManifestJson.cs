using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace RepVgg.Manifest;

/// <summary>
/// Writes and reads a <see cref="ModelManifest"/> as JSON. Hand-written because this file is
/// compiled into both the net10.0 compiler and the netstandard2.0 source generator, which may
/// carry no dependency (no System.Text.Json).
/// </summary>
/// <remarks>
/// The writer has one fixed layout: two-space indentation, properties in record order with
/// camelCase names, arrays of scalars on one line, <c>\n</c> line ends, invariant culture; the same
/// manifest always gives the same text. The reader takes any well-formed JSON, ignores properties
/// it does not know, and reports everything else as a <see cref="FormatException"/> that says
/// where (JSON path, line, column), what it expected and what it found.
/// </remarks>
public static class ManifestJson
{
    /// <summary>The manifest as indented JSON.</summary>
    public static string Write(ModelManifest manifest)
    {
        var json = new StringBuilder();
        WriteValue(json, ToJson(manifest), indent: 0);
        json.Append('\n');
        return json.ToString();
    }

    /// <summary>Reads a manifest written by <see cref="Write"/> (or any JSON of the same shape).</summary>
    /// <exception cref="FormatException">
    /// The text is not JSON, a property is missing or has the wrong type, or <c>format</c> is not
    /// <see cref="ModelManifest.CurrentFormat"/>.
    /// </exception>
    public static ModelManifest Parse(string json)
    {
        JsonValue root = new JsonReader(json).ReadDocument();

        // The format decides what the rest means, so it is checked before anything else is read.
        JsonValue format = root.Property("format");
        if (format.AsInt32() != ModelManifest.CurrentFormat)
            throw format.Error($"manifest format {ModelManifest.CurrentFormat}", $"format {format.Text}");

        return new ModelManifest(
            ModelManifest.CurrentFormat,
            ReadSource(root.Property("source")),
            root.Property("variant").AsString(),
            root.Property("inputChannels").AsInt32(),
            ReadBlob(root.Property("blob")),
            new EquatableArray<ManifestLayer>(root.Property("layers").AsArray().Select(ReadLayer)),
            ReadHead(root.Property("head")));
    }

    private static ManifestSource ReadSource(JsonValue source) => new(
        source.Property("file").AsString(),
        source.Property("sha256").AsString(),
        source.Property("keyLayout").AsString(),
        source.Property("kind").AsString());

    private static ManifestBlob ReadBlob(JsonValue blob) => new(
        blob.Property("floats").AsInt64(),
        blob.Property("sha256").AsString(),
        blob.Property("layout").AsString());

    private static ManifestLayer ReadLayer(JsonValue layer) => new(
        layer.Property("name").AsString(),
        layer.Property("stage").AsInt32(),
        layer.Property("block").AsInt32(),
        layer.Property("inChannels").AsInt32(),
        layer.Property("outChannels").AsInt32(),
        layer.Property("stride").AsInt32(),
        layer.Property("groups").AsInt32(),
        new EquatableArray<string>(layer.Property("branches").AsArray().Select(branch => branch.AsString())),
        layer.Property("algorithm").AsString(),
        layer.Property("weightOffset").AsInt64(),
        layer.Property("biasOffset").AsInt64(),
        layer.OptionalProperty("squeeze") is { } squeeze ? ReadSqueeze(squeeze) : null);

    private static ManifestSqueeze ReadSqueeze(JsonValue squeeze) => new(
        squeeze.Property("placement").AsString(),
        squeeze.Property("internalChannels").AsInt32(),
        squeeze.Property("downWeightOffset").AsInt64(),
        squeeze.Property("downBiasOffset").AsInt64(),
        squeeze.Property("upWeightOffset").AsInt64(),
        squeeze.Property("upBiasOffset").AsInt64());

    private static ManifestHead ReadHead(JsonValue head) => new(
        head.Property("name").AsString(),
        head.Property("features").AsInt32(),
        head.Property("classes").AsInt32(),
        head.Property("weightOffset").AsInt64(),
        head.Property("biasOffset").AsInt64());

    private static JsonValue ToJson(ModelManifest manifest) => JsonValue.Object(
        ("format", JsonValue.Number(manifest.Format)),
        ("source", JsonValue.Object(
            ("file", JsonValue.String(manifest.Source.File)),
            ("sha256", JsonValue.String(manifest.Source.Sha256)),
            ("keyLayout", JsonValue.String(manifest.Source.KeyLayout)),
            ("kind", JsonValue.String(manifest.Source.Kind)))),
        ("variant", JsonValue.String(manifest.Variant)),
        ("inputChannels", JsonValue.Number(manifest.InputChannels)),
        ("blob", JsonValue.Object(
            ("floats", JsonValue.Number(manifest.Blob.Floats)),
            ("sha256", JsonValue.String(manifest.Blob.Sha256)),
            ("layout", JsonValue.String(manifest.Blob.Layout)))),
        ("layers", JsonValue.Array(manifest.Layers.Select(ToJson))),
        ("head", JsonValue.Object(
            ("name", JsonValue.String(manifest.Head.Name)),
            ("features", JsonValue.Number(manifest.Head.Features)),
            ("classes", JsonValue.Number(manifest.Head.Classes)),
            ("weightOffset", JsonValue.Number(manifest.Head.WeightOffset)),
            ("biasOffset", JsonValue.Number(manifest.Head.BiasOffset)))));

    private static JsonValue ToJson(ManifestLayer layer) => JsonValue.Object(LayerMembers(layer).ToArray());

    /// <summary>A layer's members; <c>squeeze</c> only for a layer that has one.</summary>
    private static IEnumerable<(string Name, JsonValue Value)> LayerMembers(ManifestLayer layer)
    {
        yield return ("name", JsonValue.String(layer.Name));
        yield return ("stage", JsonValue.Number(layer.Stage));
        yield return ("block", JsonValue.Number(layer.Block));
        yield return ("inChannels", JsonValue.Number(layer.InChannels));
        yield return ("outChannels", JsonValue.Number(layer.OutChannels));
        yield return ("stride", JsonValue.Number(layer.Stride));
        yield return ("groups", JsonValue.Number(layer.Groups));
        yield return ("branches", JsonValue.Array(layer.Branches.Select(JsonValue.String)));
        yield return ("algorithm", JsonValue.String(layer.Algorithm));
        yield return ("weightOffset", JsonValue.Number(layer.WeightOffset));
        yield return ("biasOffset", JsonValue.Number(layer.BiasOffset));
        if (layer.Squeeze is { } squeeze)
            yield return ("squeeze", JsonValue.Object(
                ("placement", JsonValue.String(squeeze.Placement)),
                ("internalChannels", JsonValue.Number(squeeze.InternalChannels)),
                ("downWeightOffset", JsonValue.Number(squeeze.DownWeightOffset)),
                ("downBiasOffset", JsonValue.Number(squeeze.DownBiasOffset)),
                ("upWeightOffset", JsonValue.Number(squeeze.UpWeightOffset)),
                ("upBiasOffset", JsonValue.Number(squeeze.UpBiasOffset))));
    }

    private static void WriteValue(StringBuilder json, JsonValue value, int indent)
    {
        switch (value.Kind)
        {
            case JsonKind.Object:
                WriteContainer(json, '{', '}', value.Members.Select(member => ((string?)member.Key, member.Value)), oneLine: false, indent);
                break;
            case JsonKind.Array:
                bool scalars = value.Items.All(item => item.Kind is not (JsonKind.Object or JsonKind.Array));
                WriteContainer(json, '[', ']', value.Items.Select(item => ((string?)null, item)), oneLine: scalars, indent);
                break;
            case JsonKind.String:
                WriteString(json, value.Text);
                break;
            default:
                json.Append(value.Text);
                break;
        }
    }

    private static void WriteContainer(
        StringBuilder json, char open, char close, IEnumerable<(string? Name, JsonValue Value)> entries, bool oneLine, int indent)
    {
        json.Append(open);
        bool first = true;
        foreach ((string? name, JsonValue value) in entries)
        {
            if (!first) json.Append(',');
            if (oneLine)
            {
                if (!first) json.Append(' ');
            }
            else
            {
                json.Append('\n').Append(' ', 2 * (indent + 1));
            }
            if (name is not null)
            {
                WriteString(json, name);
                json.Append(": ");
            }
            WriteValue(json, value, indent + 1);
            first = false;
        }
        if (!oneLine && !first) json.Append('\n').Append(' ', 2 * indent);
        json.Append(close);
    }

    private static void WriteString(StringBuilder json, string text)
    {
        json.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                default:
                    if (c < ' ') json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else json.Append(c);
                    break;
            }
        }
        json.Append('"');
    }

    private enum JsonKind { Object, Array, String, Number, True, False, Null }

    /// <summary>
    /// One JSON value. Values the reader made know where they came from (path, line, column), so
    /// every error can say where it is.
    /// </summary>
    private sealed class JsonValue
    {
        public JsonValue(
            JsonKind kind, string text, IReadOnlyList<KeyValuePair<string, JsonValue>>? members = null, IReadOnlyList<JsonValue>? items = null,
            string path = "$", int line = 0, int column = 0)
        {
            Kind = kind;
            Text = text;
            Members = members ?? System.Array.Empty<KeyValuePair<string, JsonValue>>();
            Items = items ?? System.Array.Empty<JsonValue>();
            Path = path;
            Line = line;
            Column = column;
        }

        public JsonKind Kind { get; }

        /// <summary>A string's value, a number's digits as written, or the literal (<c>true</c>, <c>null</c>).</summary>
        public string Text { get; }

        public IReadOnlyList<KeyValuePair<string, JsonValue>> Members { get; }

        public IReadOnlyList<JsonValue> Items { get; }

        /// <summary>JSON path from the root, e.g. <c>$.layers[2].stride</c>.</summary>
        public string Path { get; }

        public int Line { get; }

        public int Column { get; }

        public static JsonValue Object(params (string Name, JsonValue Value)[] members) =>
            new(JsonKind.Object, "", members.Select(member => new KeyValuePair<string, JsonValue>(member.Name, member.Value)).ToArray());

        public static JsonValue Array(IEnumerable<JsonValue> items) => new(JsonKind.Array, "", items: items.ToArray());

        public static JsonValue String(string text) => new(JsonKind.String, text);

        public static JsonValue Number(long value) => new(JsonKind.Number, value.ToString(CultureInfo.InvariantCulture));

        /// <summary>The member <paramref name="name"/> of this object.</summary>
        public JsonValue Property(string name)
        {
            if (Kind != JsonKind.Object) throw Error("an object", Describe());
            foreach (KeyValuePair<string, JsonValue> member in Members)
            {
                if (member.Key == name) return member.Value;
            }
            string found = Members.Count == 0
                ? "an empty object"
                : "only " + string.Join(", ", Members.Select(member => "\"" + member.Key + "\""));
            throw Error($"property \"{name}\"", found);
        }

        /// <summary>The member <paramref name="name"/> of this object, or null when it has none.</summary>
        public JsonValue? OptionalProperty(string name)
        {
            if (Kind != JsonKind.Object) throw Error("an object", Describe());
            foreach (KeyValuePair<string, JsonValue> member in Members)
            {
                if (member.Key == name) return member.Value;
            }
            return null;
        }

        public IReadOnlyList<JsonValue> AsArray() => Kind == JsonKind.Array ? Items : throw Error("an array", Describe());

        public string AsString() => Kind == JsonKind.String ? Text : throw Error("a string", Describe());

        public long AsInt64() => IsInteger() && long.TryParse(Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw Error("an integer", Describe());

        public int AsInt32()
        {
            long value = AsInt64();
            return value is >= int.MinValue and <= int.MaxValue
                ? (int)value
                : throw Error(FormattableString.Invariant($"an integer from {int.MinValue} to {int.MaxValue}"), Describe());
        }

        public FormatException Error(string expected, string found) =>
            new($"At {Path} (line {Line}, column {Column}): expected {expected}, found {found}.");

        private bool IsInteger() => Kind == JsonKind.Number && Text.IndexOfAny(['.', 'e', 'E']) < 0;

        private string Describe() => Kind switch
        {
            JsonKind.Object => "an object",
            JsonKind.Array => "an array",
            JsonKind.String => $"the string \"{Text}\"",
            JsonKind.Number => $"the number {Text}",
            _ => Text,
        };
    }

    /// <summary>A strict JSON (RFC 8259) reader that builds <see cref="JsonValue"/>s.</summary>
    private sealed class JsonReader(string text)
    {
        // Deeper documents are not manifests; the limit keeps a hostile one from overflowing the stack.
        private const int MaxDepth = 32;

        private int _position;
        private int _line = 1;
        private int _lineStart;

        private int Column => _position - _lineStart + 1;

        public JsonValue ReadDocument()
        {
            SkipWhitespace();
            JsonValue root = ReadValue("$", depth: 0);
            SkipWhitespace();
            if (_position < text.Length) throw Error("$", "the end of the document");
            return root;
        }

        private JsonValue ReadValue(string path, int depth)
        {
            if (depth > MaxDepth) throw Error(path, $"at most {MaxDepth} levels of nesting");
            int line = _line, column = Column;
            char next = _position < text.Length ? text[_position] : '\0';
            switch (next)
            {
                case '{': return ReadObject(path, depth, line, column);
                case '[': return ReadArray(path, depth, line, column);
                case '"': return new JsonValue(JsonKind.String, ReadString(path), path: path, line: line, column: column);
                case 't': return ReadLiteral("true", JsonKind.True, path, line, column);
                case 'f': return ReadLiteral("false", JsonKind.False, path, line, column);
                case 'n': return ReadLiteral("null", JsonKind.Null, path, line, column);
                default:
                    if (next == '-' || IsDigit(next)) return new JsonValue(JsonKind.Number, ReadNumber(path), path: path, line: line, column: column);
                    throw Error(path, "a value");
            }
        }

        private JsonValue ReadObject(string path, int depth, int line, int column)
        {
            var members = new List<KeyValuePair<string, JsonValue>>();
            _position++;
            SkipWhitespace();
            if (TryConsume('}')) return new JsonValue(JsonKind.Object, "", members, null, path, line, column);
            while (true)
            {
                if (Peek() != '"') throw Error(path, "a property name in double quotes");
                int nameLine = _line, nameColumn = Column;
                string name = ReadString(path);
                if (members.Any(member => member.Key == name))
                    throw new FormatException($"At {path} (line {nameLine}, column {nameColumn}): expected each property once, found \"{name}\" again.");
                SkipWhitespace();
                Expect(':', path);
                SkipWhitespace();
                members.Add(new KeyValuePair<string, JsonValue>(name, ReadValue(path + "." + name, depth + 1)));
                SkipWhitespace();
                if (TryConsume('}')) return new JsonValue(JsonKind.Object, "", members, null, path, line, column);
                if (!TryConsume(',')) throw Error(path, "',' or '}'");
                SkipWhitespace();
            }
        }

        private JsonValue ReadArray(string path, int depth, int line, int column)
        {
            var items = new List<JsonValue>();
            _position++;
            SkipWhitespace();
            if (TryConsume(']')) return new JsonValue(JsonKind.Array, "", null, items, path, line, column);
            while (true)
            {
                items.Add(ReadValue(path + "[" + items.Count.ToString(CultureInfo.InvariantCulture) + "]", depth + 1));
                SkipWhitespace();
                if (TryConsume(']')) return new JsonValue(JsonKind.Array, "", null, items, path, line, column);
                if (!TryConsume(',')) throw Error(path, "',' or ']'");
                SkipWhitespace();
            }
        }

        private string ReadString(string path)
        {
            var value = new StringBuilder();
            _position++;
            while (true)
            {
                char c = Peek();
                if (c == '"' && _position < text.Length)
                {
                    _position++;
                    return value.ToString();
                }
                if (c == '\\' && _position < text.Length)
                {
                    _position++;
                    value.Append(ReadEscape(path));
                    continue;
                }
                if (c < ' ' || _position >= text.Length) throw Error(path, "a character or a closing '\"'");
                value.Append(c);
                _position++;
            }
        }

        private char ReadEscape(string path)
        {
            char c = Peek();
            _position++;
            switch (c)
            {
                case '"': return '"';
                case '\\': return '\\';
                case '/': return '/';
                case 'b': return '\b';
                case 'f': return '\f';
                case 'n': return '\n';
                case 'r': return '\r';
                case 't': return '\t';
                case 'u':
                    if (_position + 4 <= text.Length &&
                        int.TryParse(text.Substring(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                    {
                        _position += 4;
                        return (char)code;
                    }
                    throw Error(path, "four hex digits after \\u");
                default:
                    _position--;
                    throw Error(path, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
            }
        }

        private string ReadNumber(string path)
        {
            // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
            int start = _position;
            TryConsume('-');
            if (!TryConsume('0'))
            {
                if (!IsDigit(Peek())) throw Error(path, "a digit");
                SkipDigits();
            }
            if (TryConsume('.'))
            {
                if (!IsDigit(Peek())) throw Error(path, "a digit after '.'");
                SkipDigits();
            }
            if (TryConsume('e') || TryConsume('E'))
            {
                if (!TryConsume('+')) TryConsume('-');
                if (!IsDigit(Peek())) throw Error(path, "a digit in the exponent");
                SkipDigits();
            }
            return text.Substring(start, _position - start);
        }

        private JsonValue ReadLiteral(string literal, JsonKind kind, string path, int line, int column)
        {
            if (string.CompareOrdinal(text, _position, literal, 0, literal.Length) != 0) throw Error(path, "a value");
            _position += literal.Length;
            return new JsonValue(kind, literal, path: path, line: line, column: column);
        }

        private void SkipWhitespace()
        {
            while (_position < text.Length)
            {
                char c = text[_position];
                if (c == '\n')
                {
                    _line++;
                    _lineStart = _position + 1;
                }
                else if (c != ' ' && c != '\t' && c != '\r')
                {
                    return;
                }
                _position++;
            }
        }

        private void SkipDigits()
        {
            while (IsDigit(Peek())) _position++;
        }

        private void Expect(char c, string path)
        {
            if (!TryConsume(c)) throw Error(path, $"'{c}'");
        }

        private bool TryConsume(char c)
        {
            if (Peek() != c || _position >= text.Length) return false;
            _position++;
            return true;
        }

        private char Peek() => _position < text.Length ? text[_position] : '\0';

        private static bool IsDigit(char c) => c is >= '0' and <= '9';

        private FormatException Error(string path, string expected) =>
            new($"At {path} (line {_line}, column {Column}): expected {expected}, found {DescribeNext()}.");

        private string DescribeNext()
        {
            if (_position >= text.Length) return "the end of the text";
            char c = text[_position];
            return c < ' ' ? $"control character U+{(int)c:X4}" : $"'{c}'";
        }
    }
}
