using System.CommandLine;
using System.CommandLine.Invocation;
using System.Diagnostics;
using System.Runtime.InteropServices;
using RepVgg.Compiler;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Diagnostics;
using RepVgg.Compiler.Outputs;
using RepVgg.Cli.Fusing;
using RepVgg.Cli.Inspection;
using RepVgg.Cli.Verification;

namespace RepVgg.Cli;

/// <summary>
/// The <c>repvgg</c> command line (System.CommandLine): <c>inspect</c>, <c>fuse</c>, <c>export-onnx</c>,
/// <c>compile</c> and <c>verify</c>. Errors in a checkpoint are the build's own diagnostics, printed to standard
/// output in the same <c>file : error RVG00xx: message</c> form as <c>repvgg-compile</c>.
/// </summary>
public static class RepVggCommandLine
{
    /// <summary>Exit code: the command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>Exit code: an error diagnostic (RVG00xx) or an I/O failure; the line says which.</summary>
    public const int DiagnosticError = 1;

    /// <summary>Exit code: a command line it does not understand.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code of <c>verify</c>: an image's relative L2 error exceeds the tolerance.</summary>
    public const int ToleranceExceeded = 3;

    private const string ExitCodes = """
        Exit codes:
          0  success
          1  the checkpoint or an input has an error (printed as 'file : error RVG00xx: message', the build's diagnostics), or a file could not be read or written
          2  a command line it does not understand
          3  verify: the fused network's relative L2 error exceeds --tolerance on some image
        """;

    /// <summary>What a command's help says of them: the block above is the root help's alone.</summary>
    private const string SeeExitCodes = "Exit codes: see repvgg --help.";

    /// <summary>Parses <paramref name="args"/> and runs the command, writing to <paramref name="output"/> and <paramref name="error"/>.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Standard output: results, JSON and diagnostics.</param>
    /// <param name="error">Standard error: usage errors, and progress when <paramref name="showProgress"/>.</param>
    /// <param name="showProgress">Whether <paramref name="error"/> is a terminal, where steps that take more than a second show their progress.</param>
    /// <returns>The exit code: <see cref="Success"/>, <see cref="DiagnosticError"/>, <see cref="UsageError"/> or <see cref="ToleranceExceeded"/>.</returns>
    public static int Run(string[] args, TextWriter output, TextWriter error, bool showProgress = false) =>
        Run(args, output, error, showProgress ? new ProgressDisplay(error, TimeSpan.FromSeconds(1)) : ProgressDisplay.None);

    /// <summary>As the public <c>Run</c>, with the progress display given (tests show it at once).</summary>
    internal static int Run(string[] args, TextWriter output, TextWriter error, ProgressDisplay progress)
    {
        RootCommand root = Build(progress);
        ParseResult parsed = root.Parse(args);
        // System.CommandLine's parse-error action prints the errors and the help to its Output: for a usage error
        // (no command at all included) that is standard error, so standard output holds only results.
        bool usageError = parsed.Action is ParseErrorAction;
        int exitCode = parsed.Invoke(new InvocationConfiguration { Output = usageError ? error : output, Error = error, EnableDefaultExceptionHandler = false });
        // The parse-error action returns 1, which is a checkpoint's error here.
        return usageError ? UsageError : exitCode;
    }

    /// <summary>The commands, their arguments and options, and their help text.</summary>
    private static RootCommand Build(ProgressDisplay progress)
    {
        var root = new RootCommand($"""
            Inspect RepVGG checkpoints (.pth, .pt, .safetensors; official or timm names), fuse training-time
            checkpoints into deploy-time ones, export them to ONNX, compile them as the build does, and verify the
            fused network against the unfused one, with the compiler the build uses and no Python.

            {ExitCodes}
            """);
        root.Subcommands.Add(InspectCommand());
        root.Subcommands.Add(FuseCommand(progress));
        root.Subcommands.Add(ExportOnnxCommand(progress));
        root.Subcommands.Add(CompileCommand(progress));
        root.Subcommands.Add(VerifyCommand(progress));
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

    /// <summary>An input size, null when not given: the compiler then assumes 224 and warns for a custom network (RVG0028).</summary>
    private static Option<int?> InputSizeOption(string name, string description)
    {
        var option = new Option<int?>(name)
        {
            Description = $"{description} Default {WeightsStep.DefaultInputSize}, RepVGG's.",
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
        Option<int?> height = InputSizeOption("--input-height", "Input height in pixels for the output sizes and GFLOPs."),
            width = InputSizeOption("--input-width", "Input width in pixels for the output sizes and GFLOPs.");
        var json = new Option<bool>("--json") { Description = "Write the report as one JSON object instead of a table." };
        var command = new Command("inspect", $"""
            Show a checkpoint's architecture (one row per fused conv3x3 layer: stage, block, name, channels, stride,
            groups, the branches the checkpoint holds), its naming scheme, training or deploy time, the published
            variant it matches, parameter counts, GFLOPs of the fused network, element types and every diagnostic.

            {SeeExitCodes}
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

    private static Command FuseCommand(ProgressDisplay progress)
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
                "(stages.0.0.reparam_conv.weight, head.fc.weight). Default: the checkpoint's own (RepVGGplus's too: stage1.blocks.0.rbr_reparam.weight).",
        };
        naming.AcceptOnlyFromAmong(KeyLayout.Official.Name, KeyLayout.Timm.Name);
        var command = new Command("fuse", $"""
            Fold every block's branches (3x3 conv + BN, 1x1 conv + BN, identity BN) into one 3x3 conv with bias, as the
            official repository's convert.py does: the output loads with strict=True into the deploy-mode model and gives
            the training-time model's eval logits. Squeeze-and-excitation units are carried over unchanged, and
            RepVGGplus's auxiliary classifiers dropped. Folding is in float64, the file holds float32 (the values the build
            compiles). A deploy-time checkpoint is written again as it is, renamed if --naming says so.

            {SeeExitCodes}
            """)
        {
            checkpoint, outputFile, naming, strides, stateDictKey,
        };
        command.SetAction(parsed => Guarded(parsed, () =>
        {
            string path = parsed.GetRequiredValue(checkpoint), output = parsed.GetRequiredValue(outputFile);
            OutputPaths.Check([new(WeightsStepCommands.CheckpointName, path)], [new("--output", output)]);
            var clock = Stopwatch.StartNew();
            CompiledModel model;
            using (ProgressDisplay.Step step = progress.Start("fusing"))
                model = WeightsStep.Compile(path, Options(parsed, path, strides, stateDictKey), (done, total) => step.Report(done, total, "blocks"));
            TextWriter stdout = parsed.InvocationConfiguration.Output;
            foreach (CompilerDiagnostic warning in model.Warnings) stdout.WriteLine(warning.ToMSBuildLine());
            KeyLayout layout = parsed.GetValue(naming) switch
            {
                null => model.Network.Layout,
                var name when name == KeyLayout.Timm.Name => KeyLayout.Timm,
                _ => KeyLayout.Official,
            };
            DeployCheckpoint.Write(output, DeployCheckpoint.Tensors(model.Network, layout));
            stdout.WriteLine($"repvgg: {path} ({model.Manifest.Variant}, {model.Manifest.Source.Kind}-time, {model.Manifest.Source.KeyLayout} names) -> " +
                $"{output} ({model.Manifest.Layers.Count} fused layers, {layout.Name} names, {new FileInfo(output).Length / 1e6:F1} MB) in {clock.Elapsed.TotalSeconds:F1} s");
            return Success;
        }));
        return command;
    }

    private static Command ExportOnnxCommand(ProgressDisplay progress)
    {
        Argument<string> checkpoint = CheckpointArgument();
        Option<string> strides = StridesOption(), stateDictKey = StateDictKeyOption();
        var outputFile = new Option<string>("--output", "-o")
        {
            Description = "The ONNX model to write.",
            HelpName = "model.onnx",
            Required = true,
        };
        Option<int?> height = InputSizeOption("--input-height", "Input height in pixels the network is meant for; the model's height stays symbolic."),
            width = InputSizeOption("--input-width", "Input width in pixels the network is meant for; the model's width stays symbolic.");
        var command = new Command("export-onnx", $"""
            Write the fused network as an ONNX model (IR 8, opset 13; input 'input', float32 (batch, channels, height,
            width), channels the checkpoint's and the other three symbolic; output 'logits'), exactly as the build's
            ExportOnnx option and `repvgg-compile export-onnx` write it: one Conv and Relu per block, then
            GlobalAveragePool, Flatten and Gemm, the weights fused in float64 and rounded to float32 as for the blob.

            {SeeExitCodes}
            """)
        {
            checkpoint, outputFile, height, width, strides, stateDictKey,
        };
        command.SetAction(parsed => Guarded(parsed, () =>
        {
            string path = parsed.GetRequiredValue(checkpoint);
            CompileOptions options = Options(parsed, path, strides, stateDictKey) with
            {
                InputHeight = parsed.GetValue(height),
                InputWidth = parsed.GetValue(width),
            };
            using ProgressDisplay.Step step = progress.Start("fusing");
            Commands(parsed, step).ExportOnnx(path, options, parsed.GetRequiredValue(outputFile));
            return Success;
        }));
        return command;
    }

    private static Command CompileCommand(ProgressDisplay progress)
    {
        Argument<string> checkpoint = CheckpointArgument();
        Option<string> strides = StridesOption(), stateDictKey = StateDictKeyOption();
        var blob = new Option<string>("--blob") { Description = "The fused weights to write: raw little-endian float32, packed for the CPU kernels.", HelpName = "file", Required = true };
        var manifest = new Option<string>("--manifest") { Description = "The model manifest to write (JSON: layers, shapes, blob offsets, SHA-256), which the source generator reads.", HelpName = "file", Required = true };
        var variant = new Option<string>("--variant") { Description = "The published variant the checkpoint must be, e.g. B1g4 (RVG0013 when it is not; RVG0032 for a name that is no published variant).", HelpName = "name" };
        Option<int?> height = InputSizeOption("--input-height", "Input height in pixels the layers' algorithms are chosen for (the network runs at any size; this only affects speed)."),
            width = InputSizeOption("--input-width", "Input width in pixels the layers' algorithms are chosen for.");
        var onnx = new Option<string>("--onnx") { Description = "Also write the fused network as an ONNX model, as export-onnx does.", HelpName = "model.onnx" };
        var layout = new Option<WeightsLayout>("--weights-layout")
        {
            Description = "How the blob holds each layer's weights: Compact (once, in the direct layout; Winograd layers transformed at Create) or Prepacked (in each layer's algorithm's layout, about 3 times the size).",
            DefaultValueFactory = _ => WeightsLayout.Compact,
        };
        var command = new Command("compile", $"""
            Run the build's weights step: read the checkpoint, fold every block's branches into one 3x3 conv with bias
            (float64, stored float32), choose each layer's algorithm, and write the packed blob and the manifest that a
            RepVggModel item embeds. The same code and the same files as `repvgg-compile compile`, which the build runs.

            {SeeExitCodes}
            """)
        {
            checkpoint, blob, manifest, variant, height, width, strides, stateDictKey, layout, onnx,
        };
        command.SetAction(parsed => Guarded(parsed, () =>
        {
            string path = parsed.GetRequiredValue(checkpoint);
            CompileOptions options = Options(parsed, path, strides, stateDictKey) with
            {
                Variant = parsed.GetValue(variant),
                InputHeight = parsed.GetValue(height),
                InputWidth = parsed.GetValue(width),
                WeightsLayout = parsed.GetValue(layout),
            };
            using ProgressDisplay.Step step = progress.Start("fusing");
            Commands(parsed, step).Compile(path, options, parsed.GetRequiredValue(blob), parsed.GetRequiredValue(manifest), parsed.GetValue(onnx));
            return Success;
        }));
        return command;
    }

    private static Command VerifyCommand(ProgressDisplay progress)
    {
        Argument<string> checkpoint = CheckpointArgument();
        Option<string> strides = StridesOption(), stateDictKey = StateDictKeyOption();
        var input = new Option<string>("--input")
        {
            Description = "The images: raw little-endian float32, NCHW (N x channels x height x width), e.g. from numpy's tofile(); N is the file's length over one image's.",
            HelpName = "images.f32",
            Required = true,
        };
        Option<int?> height = InputSizeOption("--input-height", "Height of the input images in pixels."),
            width = InputSizeOption("--input-width", "Width of the input images in pixels.");
        var batch = new Option<int>("--batch")
        {
            Description = "Images per run of each network (the float64 reference holds a batch's activations in memory).",
            DefaultValueFactory = _ => 16,
            HelpName = "N",
        };
        batch.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && int.TryParse(token.Value, out int n) && n <= 0)
                result.AddError($"--batch must be a positive number of images; found {n}.");
        });
        var tolerance = new Option<double>("--tolerance")
        {
            Description = "The largest relative L2 error allowed on any image; above it the exit code is 3.",
            DefaultValueFactory = _ => 1e-4,
            HelpName = "relative L2",
        };
        tolerance.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && double.TryParse(token.Value, System.Globalization.CultureInfo.InvariantCulture, out double value) && !(value >= 0))
                result.AddError($"--tolerance must be a relative error of 0 or more; found {token.Value}.");
        });
        var logitsFile = new Option<string>("--output", "-o") { Description = "Also write the fused network's logits, (N, classes) raw little-endian float32.", HelpName = "logits.f32" };
        var json = new Option<bool>("--json") { Description = "Write the figures as one JSON object instead of a table." };
        var command = new Command("verify", $"""
            Run the fused float32 network (the blob the build embeds, on the CPU engine a generated class uses) and the
            unfused float64 reference (every branch and BatchNorm as trained) on the same images, and print the error of
            the fused logits per image and overall: relative L2, max absolute error and top-1 agreement.

            {SeeExitCodes}
            """)
        {
            checkpoint, input, height, width, strides, stateDictKey, batch, tolerance, logitsFile, json,
        };
        command.SetAction(parsed => Guarded(parsed, () =>
        {
            string path = parsed.GetRequiredValue(checkpoint), inputPath = parsed.GetRequiredValue(input);
            // The logits are written after the whole run: a path where they cannot go is refused before it.
            var logitsOutput = new NamedPath("--output", parsed.GetValue(logitsFile));
            OutputPaths.Check([new(WeightsStepCommands.CheckpointName, path), new("--input", inputPath)], [logitsOutput]);
            OutputPaths.RequireFolder(logitsOutput);
            int? givenHeight = parsed.GetValue(height), givenWidth = parsed.GetValue(width);
            int h = givenHeight ?? WeightsStep.DefaultInputSize, w = givenWidth ?? WeightsStep.DefaultInputSize;
            // Compiled for the images' size, so each layer runs the algorithm a build for that size would choose.
            CompileOptions options = Options(parsed, path, strides, stateDictKey) with { InputHeight = givenHeight, InputWidth = givenWidth };
            CompiledModel model;
            using (ProgressDisplay.Step step = progress.Start("fusing"))
                model = WeightsStep.Compile(path, options, (done, total) => step.Report(done, total, "blocks"));
            float[] images = InputImages.Read(inputPath, model.Manifest.InputChannels, h, w);
            FusedNetworkCheck.Report report = FusedNetworkCheck.Run(model, path, inputPath, images, h, w,
                parsed.GetValue(batch), parsed.GetValue(tolerance), progress, out float[] logits);
            if (logitsOutput.Path is { } logitsPath)
                OutputFile.Write(logitsPath, "logits", file => file.Write(MemoryMarshal.AsBytes(logits.AsSpan())));
            TextWriter stdout = parsed.InvocationConfiguration.Output;
            if (parsed.GetValue(json)) stdout.WriteLine(VerificationOutput.Json(report));
            else VerificationOutput.WriteTable(report, stdout);
            return report.Passed ? Success : ToleranceExceeded;
        }));
        return command;
    }

    /// <summary>Compiling and exporting as <c>repvgg-compile</c> does, with this tool's name and the fusion's progress.</summary>
    private static WeightsStepCommands Commands(ParseResult parsed, ProgressDisplay.Step step) =>
        new("repvgg", parsed.InvocationConfiguration.Output, (done, total) => step.Report(done, total, "blocks"));

    /// <summary>What the commands share with the build: the strides and the state_dict entry.</summary>
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Writing the output failed (disk full, access denied), or a batch too large for the engine: one error line, like the build's.
            parsed.InvocationConfiguration.Output.WriteLine($"repvgg : error : {e.GetType().Name}: {e.Message}");
            return DiagnosticError;
        }
    }
}
