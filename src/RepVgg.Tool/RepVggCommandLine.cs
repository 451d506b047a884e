using System.CommandLine;
using System.CommandLine.Invocation;
using System.Diagnostics;
using RepVgg.Compiler;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Diagnostics;
using RepVgg.Tool.Fusing;
using RepVgg.Tool.Inspection;

namespace RepVgg.Tool;

/// <summary>
/// The <c>repvgg</c> command line (System.CommandLine): <c>inspect</c> and <c>fuse</c>. Errors in a
/// checkpoint are the build's own diagnostics, printed to standard output in the same
/// <c>file : error RVG00xx: message</c> form as <c>repvgg-compile</c>.
/// </summary>
public static class RepVggCommandLine
{
    /// <summary>Exit code: the command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>Exit code: an error diagnostic (RVG00xx) or an I/O failure; the line says which.</summary>
    public const int DiagnosticError = 1;

    /// <summary>Exit code: a command line it does not understand.</summary>
    public const int UsageError = 2;

    private const string ExitCodes = """
        Exit codes:
          0  success
          1  the checkpoint has an error (printed as 'file : error RVG00xx: message', the build's diagnostics), or a file could not be read or written
          2  a command line it does not understand
        """;

    /// <summary>Parses <paramref name="args"/> and runs the command, writing to <paramref name="output"/> and <paramref name="error"/>.</summary>
    /// <returns>The exit code: <see cref="Success"/>, <see cref="DiagnosticError"/> or <see cref="UsageError"/>.</returns>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        RootCommand root = Build();
        ParseResult parsed = root.Parse(args);
        int exitCode = parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        // System.CommandLine's parse-error action prints the errors and the help, and returns 1; 1 is a checkpoint's error here.
        return parsed.Action is ParseErrorAction ? UsageError : exitCode;
    }

    /// <summary>The commands, their arguments and options, and their help text.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand($"""
            Inspect RepVGG checkpoints (.pth, .pt, .safetensors; official or timm names) and fuse training-time
            checkpoints into deploy-time ones, with the compiler the build uses and no Python.

            {ExitCodes}
            """);
        root.Subcommands.Add(InspectCommand());
        root.Subcommands.Add(FuseCommand());
        return root;
    }

    private static Argument<string> CheckpointArgument() => new("checkpoint")
    {
        Description = "The checkpoint: a PyTorch .pth/.pt (a state_dict, or a training script's dict holding one) or a .safetensors file.",
    };

    private static Option<string> StridesOption() => new("--strides")
    {
        Description = "The stride of each stage's first block, stem first, e.g. 1,2,2,2,2 (a state_dict does not store strides; default RepVGG's 2,2,2,2,2).",
        HelpName = "s,s,...",
    };

    private static Option<string> StateDictKeyOption() => new("--state-dict-key")
    {
        Description = "The top-level entry that holds the state_dict, e.g. state_dict_ema (default: state_dict, else model, else the top level).",
        HelpName = "entry",
    };

    private static Option<int> InputSizeOption(string name, string which)
    {
        var option = new Option<int>(name)
        {
            Description = $"Input {which} in pixels for the output sizes and GFLOPs.",
            DefaultValueFactory = _ => WeightsStep.DefaultInputSize,
            HelpName = "pixels",
        };
        option.Validators.Add(result =>
        {
            // Only a value that parses as an int: one that does not is already System.CommandLine's parse error.
            if (result.Tokens is [var token] && int.TryParse(token.Value, out int pixels) && pixels <= 0)
                result.AddError($"{name} must be a positive number of pixels; found {pixels}.");
        });
        return option;
    }

    private static Command InspectCommand()
    {
        Argument<string> checkpoint = CheckpointArgument();
        Option<string> strides = StridesOption(), stateDictKey = StateDictKeyOption();
        Option<int> height = InputSizeOption("--input-height", "height"), width = InputSizeOption("--input-width", "width");
        var json = new Option<bool>("--json") { Description = "Write the report as one JSON object instead of a table." };
        var command = new Command("inspect", $"""
            Show a checkpoint's architecture (one row per fused conv3x3 layer: stage, block, name, channels, stride,
            groups, the branches the checkpoint holds), its naming scheme, training or deploy time, the published
            variant it matches, parameter counts, GFLOPs of the fused network, element types and every diagnostic.

            {ExitCodes}
            """)
        {
            checkpoint, strides, stateDictKey, height, width, json,
        };
        command.SetAction(parsed => Guarded(parsed, () =>
        {
            string path = parsed.GetRequiredValue(checkpoint);
            CompileOptions options = Options(parsed, path, strides, stateDictKey) with
            {
                InputHeight = parsed.GetValue(height),
                InputWidth = parsed.GetValue(width),
            };
            CheckpointInspection inspection = CheckpointInspection.Inspect(path, options);
            TextWriter output = parsed.InvocationConfiguration.Output;
            if (parsed.GetValue(json)) output.WriteLine(InspectionJson.Write(inspection));
            else InspectionTable.Write(inspection, output);
            return Success;
        }));
        return command;
    }

    private static Command FuseCommand()
    {
        Argument<string> checkpoint = CheckpointArgument();
        Option<string> strides = StridesOption(), stateDictKey = StateDictKeyOption();
        var outputFile = new Option<string>("--output", "-o")
        {
            Description = "The deploy-time checkpoint to write: .pth (or .pt) for torch.load, or .safetensors.",
            HelpName = "deploy.pth|deploy.safetensors",
            Required = true,
        };
        outputFile.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } path && DeployCheckpoint.FormatOf(path) is null)
                result.AddError($"The output file must end in .pth, .pt or .safetensors; found '{path}'.");
        });
        var naming = new Option<string>("--naming")
        {
            Description = "Tensor names to write: official (stage1.0.rbr_reparam.weight, linear.weight) or timm " +
                "(stages.0.0.reparam_conv.weight, head.fc.weight). Default: the checkpoint's own.",
        };
        naming.AcceptOnlyFromAmong(KeyLayout.Official.Name, KeyLayout.Timm.Name);
        var command = new Command("fuse", $"""
            Fold every block's branches (3x3 conv + BN, 1x1 conv + BN, identity BN) into one 3x3 conv with bias, as the
            official repository's convert.py does: the output loads with strict=True into the deploy-mode model and gives
            the training-time model's eval logits. Folding is in float64, the file holds float32 (the values the build
            compiles). A deploy-time checkpoint is written again as it is, renamed if --naming says so.

            {ExitCodes}
            """)
        {
            checkpoint, outputFile, naming, strides, stateDictKey,
        };
        command.SetAction(parsed => Guarded(parsed, () =>
        {
            string path = parsed.GetRequiredValue(checkpoint), output = parsed.GetRequiredValue(outputFile);
            var clock = Stopwatch.StartNew();
            CompiledModel model = WeightsStep.Compile(path, Options(parsed, path, strides, stateDictKey));
            TextWriter stdout = parsed.InvocationConfiguration.Output;
            foreach (CompilerDiagnostic warning in model.Warnings) stdout.WriteLine(warning.ToMSBuildLine());
            KeyLayout layout = (parsed.GetValue(naming) ?? model.Manifest.Source.KeyLayout) == KeyLayout.Timm.Name ? KeyLayout.Timm : KeyLayout.Official;
            DeployCheckpoint.Write(output, DeployCheckpoint.Tensors(model.Network, layout));
            stdout.WriteLine($"repvgg: {path} ({model.Manifest.Variant}, {model.Manifest.Source.Kind}-time, {model.Manifest.Source.KeyLayout} names) -> " +
                $"{output} ({model.Manifest.Layers.Count} fused layers, {layout.Name} names, {new FileInfo(output).Length / 1e6:F1} MB) in {clock.Elapsed.TotalSeconds:F1} s");
            return Success;
        }));
        return command;
    }

    /// <summary>What both commands share with the build: the strides and the state_dict entry.</summary>
    private static CompileOptions Options(ParseResult parsed, string checkpoint, Option<string> strides, Option<string> stateDictKey) => new()
    {
        Strides = parsed.GetValue(strides) is { } text ? CompileOptions.ParseStrides(text, checkpoint) : null,
        StateDictKey = parsed.GetValue(stateDictKey),
    };

    /// <summary>Runs a command's body; a diagnostic becomes its line and exit code 1, never a stack trace.</summary>
    private static int Guarded(ParseResult parsed, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (CompilationException e)
        {
            parsed.InvocationConfiguration.Output.WriteLine(e.Diagnostic.ToMSBuildLine());
            return DiagnosticError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Writing the output failed (disk full, access denied): one error line, like the build's.
            parsed.InvocationConfiguration.Output.WriteLine($"repvgg : error : {e.GetType().Name}: {e.Message}");
            return DiagnosticError;
        }
    }
}
