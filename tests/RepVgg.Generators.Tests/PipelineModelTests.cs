using System.Reflection;
using Microsoft.CodeAnalysis;
using RepVgg.Manifest;

namespace RepVgg.Generators.Tests;

/// <summary>
/// The pipeline's models must compare by value and hold no Roslyn symbol or compilation: either would
/// keep whole compilations alive and defeat the incremental cache.
/// </summary>
public sealed class PipelineModelTests
{
    private static readonly Type[] s_pipelineModels = [typeof(ModelRequest), typeof(ParseResult), typeof(NetworkSpec), typeof(DiagnosticInfo)];

    [Fact]
    public void Models_hold_no_symbols_compilations_or_untyped_fields()
    {
        var reached = new HashSet<Type>();
        var problems = new List<string>();
        foreach (Type model in s_pipelineModels) Walk(model, model.Name, reached, problems);

        Assert.Empty(problems);
        Assert.Contains(typeof(ManifestLayer), reached);
        Assert.Contains(typeof(DiagnosticDescriptor), reached);
    }

    [Fact]
    public void Models_compare_by_value()
    {
        var reached = new HashSet<Type>();
        foreach (Type model in s_pipelineModels) Walk(model, model.Name, reached, []);

        Type[] ours = reached.Where(type => type.Assembly == typeof(RepVggGenerator).Assembly && !type.IsArray).ToArray();
        Assert.True(ours.Length >= 10, $"Only reached {ours.Length} model types.");
        Assert.All(ours, type => Assert.True(
            typeof(IEquatable<>).MakeGenericType(type).IsAssignableFrom(type), $"{type.Name} does not compare by value."));

        // An array compares by reference; only EquatableArray may hold one.
        Assert.All(
            ours.Where(type => !type.IsGenericType || type.GetGenericTypeDefinition() != typeof(EquatableArray<>)),
            type => Assert.All(
                type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic),
                field => Assert.False(field.FieldType.IsArray, $"{type.Name}.{field.Name} is an array.")));
    }

    // Follows every instance field of the generator's own types, and the element types of arrays and generics.
    private static void Walk(Type type, string path, HashSet<Type> reached, List<string> problems)
    {
        if (!reached.Add(type)) return;
        if (typeof(ISymbol).IsAssignableFrom(type) || typeof(Compilation).IsAssignableFrom(type) ||
            typeof(SemanticModel).IsAssignableFrom(type) || typeof(SyntaxNode).IsAssignableFrom(type) || type == typeof(object))
        {
            problems.Add($"{path} is a {type.Name}.");
        }
        if (type.IsArray) Walk(type.GetElementType()!, path + "[]", reached, problems);
        foreach (Type argument in type.IsGenericType ? type.GetGenericArguments() : []) Walk(argument, $"{path}<{argument.Name}>", reached, problems);
        if (type.Assembly != typeof(RepVggGenerator).Assembly) return;
        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            Walk(field.FieldType, $"{path}.{field.Name}", reached, problems);
    }
}
