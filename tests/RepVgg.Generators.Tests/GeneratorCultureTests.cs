using System.Globalization;

namespace RepVgg.Generators.Tests;

/// <summary>
/// The generator writes the same source whatever the culture of the build machine: numbers in code are
/// C# literals, not text for people. Swedish writes a minus sign as U+2212 and Arabic (Saudi Arabia)
/// uses its own separators; a number formatted with the current culture would change the code or break it.
/// </summary>
public sealed class GeneratorCultureTests
{
    [Theory]
    [InlineData("sv-SE")]
    [InlineData("ar-SA")]
    [InlineData("de-DE")]
    public void Generated_source_is_identical_under_another_culture(string culture)
    {
        string invariant = Generate(CultureInfo.InvariantCulture);

        string local = Generate(CultureInfo.GetCultureInfo(culture));

        Assert.Equal(3, System.Text.RegularExpressions.Regex.Count(invariant, "public sealed partial class"));
        Assert.Equal(invariant, local);
    }

    [Fact]
    public void The_cultures_really_format_numbers_differently()
    {
        // Without ICU every culture would behave as the invariant one and the theory above could not fail.
        Assert.NotEqual((-1.5).ToString(CultureInfo.InvariantCulture), (-1.5).ToString(CultureInfo.GetCultureInfo("sv-SE")));
    }

    private static string Generate(CultureInfo culture)
    {
        CultureInfo previous = CultureInfo.CurrentCulture, previousUi = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = culture;
        try
        {
            var result = GeneratorHarness.Run([TestModels.TinyFixture, TestModels.RepVggB1g4, TestModels.DeployA1]);
            return string.Join("\n", result.GeneratedTrees.Select(tree => tree.ToString()))
                + string.Join("\n", result.Diagnostics.Select(d => d.ToString()));
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (previous, previousUi);
        }
    }
}
