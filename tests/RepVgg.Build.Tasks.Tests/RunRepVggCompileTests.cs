namespace RepVgg.Build.Tasks.Tests;

/// <summary>
/// The step's process is started without a shell, its arguments quoted for .NET's own command-line parser: a
/// value reaches the program as the one argument it was, whatever it holds.
/// </summary>
public sealed class RunRepVggCompileTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("with space")]
    [InlineData("resnet`touch pwned`.pth")]
    [InlineData("$(touch pwned) $HOME ; rm -rf x & y | z")]
    [InlineData("a\"b")]
    [InlineData("a\\\"b")]
    [InlineData("ends with a backslash\\")]
    [InlineData("two\\\\")]
    [InlineData("\\\\server\\share\\x")]
    [InlineData("line\nbreak")]
    [InlineData("")]
    public void An_argument_reaches_the_program_as_it_was(string value)
    {
        // printf prints its second argument between bars: exactly what the program received as one argument.
        var start = new System.Diagnostics.ProcessStartInfo("printf", $"{RunRepVggCompile.Argument("|%s|")} {RunRepVggCompile.Argument(value)}")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var process = System.Diagnostics.Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();

        Assert.Equal($"|{value}|", output);
    }
}
