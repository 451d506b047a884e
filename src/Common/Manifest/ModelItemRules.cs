using System;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace RepVgg.Manifest;

/// <summary>
/// What a <c>RepVggModel</c> item's metadata may hold. One implementation for both places that check it: the
/// MSBuild task that prepares the models (first, before any value names a path, a resource or a compiler
/// argument) and the source generator (again, for what reaches it). C# names follow the language's rule for
/// identifiers (letters, digits, connectors, combining and formatting characters by Unicode category, not
/// starting with a digit) and its reserved keywords, as Roslyn's <c>SyntaxFacts</c> do; a test compares the two.
/// </summary>
public static class ModelItemRules
{
    // What the generated class declares besides its layer fields; a class of the same name would not compile (CS0542).
    // GeneratorDiagnosticTests checks this list against the members of a compiled generated class.
    private static readonly string[] s_memberNames =
    [
        "InputChannels", "InputHeight", "InputWidth", "ClassCount", "ResourceName", "WeightFloats",
        "Head", "Network", "s_weights", "s_shared", "_engine", "Create", "Infer", "RunLayers", "Dispose",
        "Backend", "DeviceName", "Precision",
    ];

    private static readonly Regex s_layerFieldName = new("^Stage[0-9]+(Block[0-9]+)?$", RegexOptions.CultureInvariant);

    // C#'s reserved keywords (contextual ones such as 'var' or 'record' are valid names), and the four
    // undocumented ones Roslyn also reserves.
    private static readonly string[] s_keywords =
    [
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
        "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern",
        "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface",
        "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override",
        "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short",
        "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof",
        "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
        "__arglist", "__makeref", "__reftype", "__refvalue",
    ];

    /// <summary>Why <paramref name="name"/> cannot name the generated class, or null when it can.</summary>
    public static string? ClassNameProblem(string name) =>
        IdentifierProblem(name)
        ?? (s_memberNames.Contains(name) || s_layerFieldName.IsMatch(name) ? "the generated class has a member of that name" : null);

    /// <summary>Why <paramref name="ns"/> cannot be the generated class's namespace, or null when it can (empty: the global namespace).</summary>
    public static string? NamespaceProblem(string ns)
    {
        if (ns.Length == 0) return null;
        foreach (string part in ns.Split('.'))
        {
            if (IdentifierProblem(part) is { } problem)
                return $"expected C# identifiers separated by '.'; '{part}': {problem}";
        }
        return null;
    }

    /// <summary>
    /// Reads <c>InputHeight</c> or <c>InputWidth</c>: decimal digits only (no sign, no spaces, no exponent), a
    /// positive int. The build and the generator read one value the same way or refuse it.
    /// </summary>
    public static bool TryParseInputSize(string value, out int size) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out size) && size > 0;

    /// <summary>The values of the <c>WeightsLayout</c> metadata, as the runtime's <c>WeightsLayout</c> names them; any case.</summary>
    public static readonly string[] WeightsLayouts = ["Compact", "Prepacked"];

    /// <summary>Whether <paramref name="value"/> names a blob layout (<see cref="WeightsLayouts"/>, in any case).</summary>
    public static bool IsWeightsLayout(string value) =>
        Array.Exists(WeightsLayouts, layout => string.Equals(layout, value, StringComparison.OrdinalIgnoreCase));

    private static string? IdentifierProblem(string name)
    {
        if (name.Length == 0 || !IsIdentifierStart(name[0]) || !name.Skip(1).All(IsIdentifierPart))
            return "expected a C# identifier (a letter or '_', then letters, digits or '_')";
        if (Array.IndexOf(s_keywords, name) >= 0) return "it is a C# keyword";
        return null;
    }

    private static bool IsIdentifierStart(char c) => c == '_' || IsLetter(CharUnicodeInfo.GetUnicodeCategory(c));

    private static bool IsIdentifierPart(char c)
    {
        UnicodeCategory category = CharUnicodeInfo.GetUnicodeCategory(c);
        return IsLetter(category) || category is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation
            or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.Format;
    }

    private static bool IsLetter(UnicodeCategory category) => category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
        or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber;
}
