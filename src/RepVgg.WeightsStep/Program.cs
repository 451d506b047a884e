using System.Diagnostics;
using RepVgg;
using RepVgg.Compiler;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;
using RepVgg.Compiler.Outputs;
using RepVgg.Compiler.Snapshots;
using RepVgg.Compiler.Synthetic;

// repvgg-compile: the weights step of the build, run by the RepVgg targets (build/RepVgg.Model.targets).
//
//   repvgg-compile compile <checkpoint> --blob <file> --manifest <file> [--variant <name>] [--synthesize <variant>]
//                          [--input-height <pixels>] [--input-width <pixels>] [--strides <s,s,...>]
//                          [--state-dict-key <entry>] [--weights-layout Compact|Prepacked] [--onnx <file>]
//   repvgg-compile export-onnx <checkpoint> -o <file.onnx> [--strides <s,s,...>] [--state-dict-key <entry>]
//   repvgg-compile synthesize <variant> <file.pth|file.safetensors> [--layout official|timm] [--deploy] [--seed <n>] [--uncalibrated]
//   repvgg-compile probe --manifest <file> --blob <file> --class <name> -o <file> [--input-height <pixels>] [--input-width <pixels>]
//   repvgg-compile snapshot --class <name> --generated <file.g.cs> --logits <file> --directory <folder> [--accept]
//   repvgg-compile request <file.json>
//
// request is how the build runs it (RunRepVggCompile, src/RepVgg.Build.Tasks): one JSON object naming the command
// (compile, probe or snapshot) and its values, written by the targets' PrepareRepVggModels, so no file name or
// metadata value is ever part of a command line. After a compile request succeeds the step writes the request's
// "stamp": the SHA-256 of the request's bytes and of the checkpoint it compiled, which the next build compares.
//
// probe and snapshot are the model snapshot of RepVgg.Snapshot.targets (Snapshot="true"): probe writes the
// compiled network's logits for the probe image (LogitsFingerprint); snapshot compares the generated source and
// those logits with the project's RepVggSnapshots/ folder, writing what is missing, or what differs with --accept.
//
// --onnx (and export-onnx) also write the fused network as an ONNX model (OnnxExport: opset 13,
// symbolic batch, height and width), so the same network runs in ONNX Runtime, TensorRT or Triton.
//
// Diagnostics go to standard output in MSBuild's canonical format ("file : error RVG0004: ..."),
// which the Exec task turns into build errors and warnings. Exit code 1 on any error, 2 on a
// command line it does not understand.

return ToolCommand.Run(args);

internal static class ToolCommand
{
    public static int Run(string[] args)
    {
        try
        {
            return args.FirstOrDefault() switch
            {
                "compile" => Compile(new Arguments(args[1..])),
                "export-onnx" => ExportOnnx(new Arguments(args[1..])),
                "synthesize" => Synthesize(new Arguments(args[1..])),
                "probe" => Probe(new Arguments(args[1..])),
                "snapshot" => CheckSnapshot(new Arguments(args[1..])),
                "request" => RunRequest(new Arguments(args[1..]).Positional(0, "request file")),
                _ => throw new UsageException($"Expected a command, compile, export-onnx, synthesize, probe, snapshot or request; found '{args.FirstOrDefault()}'."),
            };
        }
        catch (CompilationException e)
        {
            Console.WriteLine(e.Diagnostic.ToMSBuildLine());
            return 1;
        }
        catch (UsageException e)
        {
            Console.WriteLine($"repvgg-compile : error : {e.Message}");
            return Usage();
        }
        catch (Exception e)
        {
            // A bug, or an I/O failure writing the ONNX file or a synthetic checkpoint (the blob and manifest report
            // theirs as RVG0035): still one build error, never a bare crash.
            Console.WriteLine($"repvgg-compile : error : {e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine(e);
            return 1;
        }
    }

    /// <summary>Compiling and exporting, as the repvgg tool does them too.</summary>
    private static readonly WeightsStepCommands Commands = new("repvgg-compile", Console.Out);

    private static int Compile(Arguments args)
    {
        string checkpoint = args.Positional(0, "checkpoint");
        Compile(checkpoint, args.Optional("--synthesize"), CompileOptions(checkpoint, args.Optional("--strides"), args.Optional("--state-dict-key"),
            args.Optional("--variant"), args.Optional("--input-height"), args.Optional("--input-width"), args.Optional("--weights-layout")),
            args.Required("--blob"), args.Required("--manifest"), args.Optional("--onnx"));
        return 0;
    }

    /// <summary>Compiles, first writing a synthetic checkpoint of variant <paramref name="synthesize"/> when there is none.</summary>
    private static CompiledModel Compile(string checkpoint, string? synthesize, CompileOptions options, string blob, string manifest, string? onnx) =>
        Commands.Compile(checkpoint, options, blob, manifest, onnx, prepareCheckpoint: () =>
            synthesize is not null && !File.Exists(checkpoint)
                ? $"synthesized in {WriteSynthetic(synthesize, checkpoint, deploy: false, timm: false, seed: SyntheticCheckpoint.DefaultSeed).TotalSeconds:F1} s"
                : null);

    /// <summary>What both commands take: the network's strides and the entry that holds its state dict.</summary>
    private static CompileOptions Options(Arguments args, string checkpoint) =>
        CompileOptions(checkpoint, args.Optional("--strides"), args.Optional("--state-dict-key"), variant: null, inputHeight: null, inputWidth: null,
            weightsLayout: null);

    /// <summary>The project's metadata for a checkpoint, from the text the command line or a request holds.</summary>
    private static CompileOptions CompileOptions(string checkpoint, string? strides, string? stateDictKey, string? variant, string? inputHeight, string? inputWidth,
        string? weightsLayout) => new()
    {
        WeightsLayout = WeightsLayoutOf(weightsLayout),
        Strides = strides is not null ? RepVgg.Compiler.CompileOptions.ParseStrides(strides, checkpoint) : null,
        StateDictKey = stateDictKey,
        Variant = variant,
        // Null when not given: the compiler assumes 224 and warns for a custom network (RVG0028).
        InputHeight = inputHeight is not null ? InputSize(inputHeight) : null,
        InputWidth = inputWidth is not null ? InputSize(inputWidth) : null,
    };

    /// <summary>The blob layout (<see cref="ModelItemRules.IsWeightsLayout"/>, any case): compact when not given.</summary>
    /// <exception cref="UsageException">The value names no layout (the build checks the metadata before it runs the step).</exception>
    private static WeightsLayout WeightsLayoutOf(string? value) =>
        value is null ? WeightsLayout.Compact
        : ModelItemRules.IsWeightsLayout(value) ? Enum.Parse<WeightsLayout>(value, ignoreCase: true)
        : throw new UsageException($"--weights-layout is '{value}'; expected Compact or Prepacked.");

    /// <summary>
    /// The input size layers are planned for, read by the rule the build's item check and the generator apply
    /// (<see cref="ModelItemRules.TryParseInputSize"/>). From the build a value always passes it; one given by hand
    /// that does not plans for RepVGG's 224, and the generator reports it (RVG0011).
    /// </summary>
    private static int InputSize(string? value) =>
        value is not null && ModelItemRules.TryParseInputSize(value, out int size) ? size : WeightsStep.DefaultInputSize;

    private static int ExportOnnx(Arguments args)
    {
        string checkpoint = args.Positional(0, "checkpoint");
        string output = args.Optional("-o") ?? args.Optional("--output") ?? throw new UsageException("Missing option -o <file.onnx>.");
        Commands.ExportOnnx(checkpoint, Options(args, checkpoint), output);
        return 0;
    }

    private static int Synthesize(Arguments args)
    {
        string variant = args.Positional(0, "variant"), path = args.Positional(1, "output file");
        string layout = args.Optional("--layout") ?? "official";
        if (layout is not ("official" or "timm")) throw new UsageException($"--layout must be official or timm; found '{layout}'.");
        ulong seed = args.Optional("--seed") is { } s ? ulong.Parse(s) : SyntheticCheckpoint.DefaultSeed;
        bool calibrated = !args.Flag("--uncalibrated");
        TimeSpan elapsed = WriteSynthetic(variant, path, args.Flag("--deploy"), layout == "timm", seed, calibrated);
        Console.WriteLine($"repvgg-compile: wrote a synthetic {variant} checkpoint (deterministic weights, {(calibrated ? "calibrated" : "random")} BatchNorm) " +
            $"at {path}: {new FileInfo(path).Length / 1e6:F1} MB in {elapsed.TotalSeconds:F1} s");
        return 0;
    }

    /// <summary>
    /// Writes a deterministic checkpoint and says how long it took. <paramref name="calibrated"/> runs the network on
    /// synthetic images to give it realistic BatchNorm statistics (minutes for the large variants); without it the
    /// statistics are random, which is enough for sizes, memory and speed.
    /// </summary>
    private static TimeSpan WriteSynthetic(string variantName, string path, bool deploy, bool timm, ulong seed, bool calibrated = true)
    {
        var variant = RepVggVariant.Find(variantName)
            ?? throw new UsageException($"Unknown variant '{variantName}'; expected one of {string.Join(", ", RepVggVariant.Published.Select(v => v.Name))}.");
        var clock = Stopwatch.StartNew();
        if (timm && variant.Squeeze is (SqueezePlacement.AfterRelu, _))
            throw new UsageException($"timm names no squeeze-and-excitation after the ReLU, which {variant.Name} has; write it with official names.");
        KeyLayout layout = timm ? KeyLayout.Timm : variant.OfficialLayout;
        if (calibrated)
            SyntheticCheckpoint.Write(path, variant, seed, layout, deploy);
        else
            SyntheticCheckpoint.Write(path, SyntheticNetwork.Create(variant, seed, calibration: null, layout), deploy);
        return clock.Elapsed;
    }

    private static int Probe(Arguments args) =>
        Probe(args.Required("--manifest"), args.Required("--blob"), args.Required("--class"),
            args.Optional("-o") ?? throw new UsageException("Missing option -o <file>."), args.Optional("--input-height"), args.Optional("--input-width"));

    private static int Probe(string manifestPath, string blobPath, string className, string output, string? inputHeight, string? inputWidth)
    {
        OutputPaths.Check([new("--manifest", manifestPath), new("--blob", blobPath)], [new("-o", output)]);
        ModelManifest manifest = ManifestJson.Parse(File.ReadAllText(manifestPath));
        float[] blob = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(blobPath)).ToArray();
        OutputFile.WriteText(output, "logits fingerprint", LogitsFingerprint.Compute(className, manifest, blob, InputSize(inputHeight), InputSize(inputWidth)));
        return 0;
    }

    private static int CheckSnapshot(Arguments args) =>
        CheckSnapshot(args.Required("--directory"), args.Required("--class"), args.Required("--generated"), args.Required("--logits"), args.Flag("--accept"));

    private static int CheckSnapshot(string directory, string className, string generated, string logits, bool accept)
    {
        var snapshot = new ModelSnapshot(directory, className);
        bool failed = false;
        foreach (SnapshotComparison file in snapshot.Check(generated, logits, accept))
        {
            switch (file.Status)
            {
                case SnapshotStatus.Created:
                    Console.WriteLine($"repvgg-compile: created the snapshot {file.SnapshotPath} from {file.CurrentPath}; commit it, and later builds compare against it");
                    break;
                case SnapshotStatus.Accepted:
                    Console.WriteLine($"repvgg-compile: accepted {file.CurrentPath} as the snapshot {file.SnapshotPath}; commit it");
                    break;
                case SnapshotStatus.Differs:
                    Console.WriteLine($"repvgg-compile: {file.SnapshotPath} differs from this build's {file.CurrentPath}:");
                    foreach (string line in file.Diff) Console.WriteLine("  " + line);
                    Console.WriteLine(file.Error!.ToMSBuildLine());
                    failed = true;
                    break;
            }
        }
        return failed ? 1 : 0;
    }

    /// <summary>Runs a request the build wrote (<see cref="StepRequest"/>): a command and its values as data.</summary>
    private static int RunRequest(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var request = StepRequest.Parse(path, bytes);
        switch (request.Command)
        {
            case "compile":
                string checkpoint = request.Required("checkpoint");
                CompiledModel model = Compile(checkpoint, request.Optional("synthesize"),
                    CompileOptions(checkpoint, request.Optional("strides"), request.Optional("stateDictKey"), request.Optional("variant"),
                        request.Optional("inputHeight"), request.Optional("inputWidth"), request.Optional("weightsLayout")),
                    request.Required("blob"), request.Required("manifest"), request.Optional("onnx"));
                // Last, once every output is in place: what they were compiled from, for the next build to compare.
                if (request.Optional("stamp") is { } stamp)
                    OutputFile.WriteText(stamp, "stamp", $"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))} {model.Manifest.Source.Sha256}\n");
                return 0;
            case "probe":
                return Probe(request.Required("manifest"), request.Required("blob"), request.Required("class"), request.Required("output"),
                    request.Optional("inputHeight"), request.Optional("inputWidth"));
            case "snapshot":
                return CheckSnapshot(request.Required("directory"), request.Required("class"), request.Required("generated"), request.Required("logits"),
                    request.Flag("accept"));
            default:
                throw new UsageException($"Request {path} asks for '{request.Command}'; expected compile, probe or snapshot.");
        }
    }

    /// <summary>The command line is wrong; the message says how.</summary>
    private sealed class UsageException(string message) : Exception(message);

    private static int Usage()
    {
        Console.Error.WriteLine("""
            usage:
              repvgg-compile compile <checkpoint> --blob <file> --manifest <file> [--variant <name>] [--synthesize <variant>]
                                     [--input-height <pixels>] [--input-width <pixels>] [--strides <s,s,...>]
                                     [--state-dict-key <entry>] [--weights-layout Compact|Prepacked] [--onnx <file>]
              repvgg-compile export-onnx <checkpoint> -o <file.onnx> [--strides <s,s,...>] [--state-dict-key <entry>]
              repvgg-compile synthesize <variant> <file.pth|file.safetensors> [--layout official|timm] [--deploy] [--seed <n>] [--uncalibrated]
              repvgg-compile probe --manifest <file> --blob <file> --class <name> -o <file> [--input-height <pixels>] [--input-width <pixels>]
              repvgg-compile snapshot --class <name> --generated <file.g.cs> --logits <file> --directory <folder> [--accept]
              repvgg-compile request <file.json>
            """);
        return 2;
    }

    /// <summary>Positional arguments and <c>--name value</c> options (and <c>-o value</c>, the usual spelling of an output file).</summary>
    private sealed class Arguments
    {
        private readonly List<string> _positional = [];
        private readonly Dictionary<string, string?> _options = [];

        public Arguments(string[] args)
        {
            for (int i = 0; i < args.Length; i++)
            {
                if (!IsOption(args[i])) _positional.Add(args[i]);
                else if (i + 1 < args.Length && !IsOption(args[i + 1])) _options[args[i]] = args[++i];
                else _options[args[i]] = null;
            }
        }

        private static bool IsOption(string arg) => arg.StartsWith("--", StringComparison.Ordinal) || arg == "-o";

        public string Positional(int index, string name) =>
            index < _positional.Count ? _positional[index] : throw new UsageException($"Missing the {name} argument.");

        public string Required(string name) => Optional(name) ?? throw new UsageException($"Missing option {name} <value>.");

        public string? Optional(string name) => _options.TryGetValue(name, out string? value) && !string.IsNullOrEmpty(value) ? value : null;

        public bool Flag(string name) => _options.ContainsKey(name);
    }
}
