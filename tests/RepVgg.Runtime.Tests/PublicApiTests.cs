namespace RepVgg.Runtime.Tests;

/// <summary>
/// The runtime's public surface is what generated code and its users call, nothing more: the packers and
/// kernels are internal (the weights step and the tests see them through InternalsVisibleTo). Making a type
/// public, or internal, means editing this list on purpose.
/// </summary>
public class PublicApiTests
{
    private static readonly string[] ExpectedPublicTypes =
    [
        "RepVgg.Backend",                 // Create(Backend) of every generated class
        "RepVgg.Conv3x3Layer",            // a generated class's layer fields
        "RepVgg.ConvAlgorithm",           // each layer's algorithm, chosen by the weights step
        "RepVgg.InferenceEngine",         // what a generated class runs its calls on
        "RepVgg.InferenceEngine+EngineCall", // one call, begun and ended by the generated class (BeginCall)
        "RepVgg.LayerActivation",         // what Infer's onLayer overload hands out
        "RepVgg.LayerActivationHandler",  // the onLayer callback
        "RepVgg.LinearHead",              // a generated class's head field
        "RepVgg.ModelWeights",            // the blob mapped from the embedded resource
        "RepVgg.NetworkLayout",           // a generated class's network field
        "RepVgg.Precision",               // Create(Backend, Precision) of every generated class
        "RepVgg.SqueezeExcitationUnit",   // a layer field's squeeze-and-excitation (D2se, RepVGGplus)
        "RepVgg.SqueezePlacement",        // whether it comes before or after the layer's ReLU
        "RepVgg.WeightsLayout",           // how the embedded blob holds the weights, which a generated class names
    ];

    [Fact]
    public void Public_types_are_exactly_those_generated_code_and_its_users_need()
    {
        string[] actual = typeof(InferenceEngine).Assembly.GetExportedTypes()
            .Select(t => t.FullName!).Order(StringComparer.Ordinal).ToArray();
        string[] unexpected = actual.Except(ExpectedPublicTypes).ToArray();
        string[] missing = ExpectedPublicTypes.Except(actual).ToArray();
        Assert.True(unexpected.Length == 0 && missing.Length == 0,
            $"RepVgg.Runtime's public types changed. Public but not listed: [{string.Join(", ", unexpected)}]; " +
            $"listed but not public: [{string.Join(", ", missing)}]. Build-time code (packing, layouts for the weights step) " +
            "stays internal; a type generated code or users need goes in the list in PublicApiTests.");
    }
}
