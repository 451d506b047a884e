using System.Runtime.InteropServices;
using System.Security.Cryptography;
using RepVgg.Checkpoints;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Diagnostics;
using RepVgg.Compiler.Fusion;
using RepVgg.Manifest;
using RepVgg.Compiler.Outputs;
using RepVgg.Compiler.Planning;
using RepVgg.Cpu;

namespace RepVgg.Compiler;

/// <summary>A checkpoint compiled to the plain network: its manifest, its packed float32 blob, and the network it was read as.</summary>
public sealed class CompiledModel
{
    private readonly Lazy<TrainedNetwork> _network;

    /// <param name="manifest">What the generator reads.</param>
    /// <param name="blob">The fused weights, packed; the manifest's offsets point into it.</param>
    /// <param name="network">Gives the checkpoint's network before fusion, when first asked for.</param>
    /// <param name="warnings">Warnings found on the way (skipped Python objects, an EMA copy not chosen, unused tensors).</param>
    public CompiledModel(ModelManifest manifest, float[] blob, Func<TrainedNetwork> network, IReadOnlyList<CompilerDiagnostic> warnings)
    {
        Manifest = manifest;
        Blob = blob;
        _network = new Lazy<TrainedNetwork>(network);
        Warnings = warnings;
    }

    /// <summary>What the generator reads.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>The fused weights, packed; the manifest's offsets point into it.</summary>
    public float[] Blob { get; }

    /// <summary>How <see cref="Blob"/> holds the conv layers' weights, as its manifest names it.</summary>
    public WeightsLayout Layout => WeightsStep.LayoutOf(Manifest.Blob);

    /// <summary>The blob as the engines read it (pinned, not copied).</summary>
    public ModelWeights ToModelWeights() => ModelWeights.FromArray(Blob, Layout);

    /// <summary>Warnings found on the way (skipped Python objects, an EMA copy not chosen, unused tensors).</summary>
    public IReadOnlyList<CompilerDiagnostic> Warnings { get; }

    /// <summary>
    /// The checkpoint's network before fusion, every value in float64 (the unfused reference and the ONNX
    /// export run on it). A model compiled from a file reads it from the file again on first use: the
    /// weights step itself holds one block at a time.
    /// </summary>
    /// <exception cref="CompilationException">The file can no longer be read as it was.</exception>
    public TrainedNetwork Network => _network.Value;
}

/// <summary>
/// The weights step of the build: checkpoint in, fused and packed blob plus manifest out. Reads
/// the file, infers the architecture, folds every block's branches into one conv3x3 with bias in
/// float64, rounds to float32, chooses each layer's algorithm (<see cref="ConvAlgorithmChoice"/>)
/// and packs each layer: in the direct layout (<see cref="Conv3x3Packing"/>) in a compact blob, the
/// default; in a prepacked one, for its algorithm: as it is for direct convolution, Winograd-transformed
/// (in float64, then rounded, <see cref="WinogradPacking"/>) otherwise.
/// </summary>
public static class WeightsStep
{
    /// <summary>The manifest's name of a blob layout (<see cref="ManifestBlobLayouts"/>).</summary>
    public static string ManifestName(WeightsLayout layout) => layout == WeightsLayout.Compact ? ManifestBlobLayouts.Compact : ManifestBlobLayouts.Prepacked;

    /// <summary>The layout a manifest's blob is in.</summary>
    /// <exception cref="ArgumentException">The manifest names another layout.</exception>
    public static WeightsLayout LayoutOf(ManifestBlob blob) => blob.Layout switch
    {
        ManifestBlobLayouts.Compact => WeightsLayout.Compact,
        ManifestBlobLayouts.Prepacked => WeightsLayout.Prepacked,
        _ => throw new ArgumentException($"The manifest's blob layout is \"{blob.Layout}\"; expected \"{ManifestBlobLayouts.Compact}\" or \"{ManifestBlobLayouts.Prepacked}\".", nameof(blob)),
    };

    /// <summary>Every tensor in the blob starts at a multiple of 16 floats (64 bytes, a cache line and a Vector512).</summary>
    public const int BlobAlignment = 16;

    /// <summary>The input size layers are planned for when the project does not say: RepVGG's 224 x 224.</summary>
    public const int DefaultInputSize = 224;

    /// <summary>
    /// Compiles <paramref name="checkpointPath"/> as <paramref name="options"/> say (defaults: any variant,
    /// 224 x 224, RepVGG's strides, the usual state_dict entry).
    /// </summary>
    /// <param name="checkpointPath">The checkpoint.</param>
    /// <param name="options">The project's metadata for it.</param>
    /// <param name="blockFused">
    /// Called after each block is fused and packed with the number of blocks done and the block count, for a
    /// progress display: a large checkpoint takes seconds.
    /// </param>
    /// <exception cref="CompilationException">Any error, as a diagnostic naming file, tensor, expected and found.</exception>
    public static CompiledModel Compile(string checkpointPath, CompileOptions? options = null, Action<int, int>? blockFused = null)
    {
        try
        {
            return CompileChecked(checkpointPath, options ?? new CompileOptions(), blockFused);
        }
        catch (CheckpointException e)
        {
            // From reading the file: its names and shapes first, then each block's values while packing.
            throw new CompilationException(ToDiagnostic(e));
        }
        catch (Exception e) when (e is not (CompilationException or OutOfMemoryException))
        {
            // Every failure the step foresees is a diagnostic; anything else is a bug, and still only a diagnostic.
            throw new CompilationException(CompilerDiagnostic.Error(DiagnosticIds.InternalError, checkpointPath,
                $"The weights step failed unexpectedly on '{checkpointPath}' ({e.GetType().Name}: {e.Message} {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}). " +
                "This is a bug in the compiler: please report it with the file."), e);
        }
    }

    private static CompiledModel CompileChecked(string checkpointPath, CompileOptions options, Action<int, int>? blockFused)
    {
        if (options.Strides is { } strides && strides.Any(stride => stride is not (1 or 2)))
            throw new CompilationException(CompilerDiagnostic.Error(DiagnosticIds.InvalidStrides, checkpointPath,
                $"Strides lists {string.Join(",", strides)}; expected 1 or 2 for each stage (stem first), the strides the kernels run."));
        var warnings = new List<CompilerDiagnostic>();
        // Names and shapes only: values are read block by block while packing, so memory holds the blob
        // and one block's tensors, not the whole checkpoint.
        StateDict tensors = CheckpointReader.Read(checkpointPath, options.StateDictKey);
        warnings.AddRange(tensors.Warnings.Select(warning => CompilerDiagnostic.Warning(warning.Kind switch
        {
            CheckpointWarningKind.SkippedObjects => DiagnosticIds.SkippedPythonObjects,
            _ => DiagnosticIds.UnchosenEma,
        }, checkpointPath, warning.Message)));
        NetworkReader reader = NetworkReader.Open(tensors, warnings, options.Strides);
        TrainedNetwork architecture = reader.Architecture;
        RepVggVariant? variant = RepVggVariant.Match(architecture);
        if (!string.IsNullOrWhiteSpace(options.Variant))
            CheckVariant(checkpointPath, options.Variant, variant, architecture);
        if (variant is null && AssumedDefaults.Warning(checkpointPath, architecture, options) is { } assumed)
            warnings.Add(assumed);
        int inputHeight = options.InputHeight ?? DefaultInputSize, inputWidth = options.InputWidth ?? DefaultInputSize;
        if (inputHeight != inputWidth && architecture.Blocks.FirstOrDefault(block => block.Squeeze is not null) is { } squeezed)
            warnings.Add(CompilerDiagnostic.Warning(DiagnosticIds.NonSquareSqueezePooling, checkpointPath,
                $"The network's blocks have squeeze-and-excitation (the first: '{squeezed.Squeeze!.Name}'), and the input is {inputHeight} x {inputWidth}, not square. " +
                "The official SEBlock pools with avg_pool2d(x, kernel_size=x.size(3)), a window as wide as the input, which covers the whole map only when it is square " +
                "(on other shapes it pools part of the map, or fails); the compiled network pools each channel's whole map, as timm's squeeze-and-excitation does."));
        byte[] checkpointHash;
        using (FileStream file = File.OpenRead(checkpointPath)) checkpointHash = SHA256.HashData(file);
        var source = new ManifestSource(Path.GetFileName(checkpointPath), Convert.ToHexStringLower(checkpointHash),
            architecture.Layout.Name, architecture.IsDeployed ? "deploy" : "training");
        try
        {
            return Pack(architecture, i => { CollectBlockGarbage(); return reader.ReadBlock(i); }, reader.ReadHead,
                () => ReadingCheckpoint(() => NetworkReader.Read(tensors, [], options.Strides)),
                source, warnings, inputHeight, inputWidth, options.WeightsLayout, chooseAlgorithm: null, blockFused);
        }
        catch (CompilationException e) when (e.Diagnostic.File == source.File)
        {
            throw new CompilationException(e.Diagnostic with { File = checkpointPath });
        }
    }

    /// <summary>Allocation since the last full collection after which the next block waits for one.</summary>
    private const long BlockGarbageBytes = 64L << 20;

    [ThreadStatic]
    private static long t_allocatedAtLastCollection;

    /// <summary>
    /// Each block leaves its tensors, in float32 and float64, and its fused weights as large-object garbage,
    /// which only a full collection frees: without one between blocks the garbage piles up to several times
    /// the checkpoint before the GC looks. Collecting once 64 MB have been allocated keeps the step's peak at
    /// the blob plus about one block, and costs nothing measurable on networks of thousands of small blocks.
    /// </summary>
    private static void CollectBlockGarbage()
    {
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        if (allocated - t_allocatedAtLastCollection < BlockGarbageBytes)
            return;
        GC.Collect();
        t_allocatedAtLastCollection = allocated;
    }

    /// <summary>Runs a read of the checkpoint after <see cref="Compile"/> has returned, with its failures as diagnostics too.</summary>
    private static T ReadingCheckpoint<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (CheckpointException e)
        {
            throw new CompilationException(ToDiagnostic(e));
        }
    }

    /// <summary>
    /// Fuses and packs an in-memory network (tests and tools that have no file), choosing each layer's
    /// algorithm for inputs of <paramref name="inputHeight"/> x <paramref name="inputWidth"/>. The manifest
    /// names the published variant the network matches, or <c>custom</c>.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="source">What the manifest says about the checkpoint.</param>
    /// <param name="warnings">Warnings for the compiled model to carry.</param>
    /// <param name="inputHeight">Input height the algorithms are chosen for.</param>
    /// <param name="inputWidth">Input width the algorithms are chosen for.</param>
    /// <param name="chooseAlgorithm">
    /// Chooses a block's algorithm from the block and its input's height and width, instead of
    /// <see cref="ConvAlgorithmChoice.Choose"/>: tests and measurements run every algorithm on every shape.
    /// It must return <see cref="ConvAlgorithm.Direct"/> for stride 2.
    /// </param>
    /// <param name="layout">How the blob holds the conv layers' weights.</param>
    public static CompiledModel Pack(TrainedNetwork network, ManifestSource source, IReadOnlyList<CompilerDiagnostic> warnings,
        int inputHeight = DefaultInputSize, int inputWidth = DefaultInputSize, Func<RepVggBlock, int, int, ConvAlgorithm>? chooseAlgorithm = null,
        WeightsLayout layout = WeightsLayout.Compact) =>
        Pack(network, i => network.Blocks[i], () => network.Head, () => network, source, warnings, inputHeight, inputWidth, layout, chooseAlgorithm, blockFused: null);

    /// <summary>
    /// Plans the blob from <paramref name="network"/>'s shapes, then fuses and packs one block at a time as
    /// <paramref name="readBlock"/> gives it with values: memory holds the blob and one block.
    /// </summary>
    private static CompiledModel Pack(TrainedNetwork network, Func<int, RepVggBlock> readBlock, Func<LinearClassifier> readHead,
        Func<TrainedNetwork> wholeNetwork, ManifestSource source, IReadOnlyList<CompilerDiagnostic> warnings,
        int inputHeight, int inputWidth, WeightsLayout layout, Func<RepVggBlock, int, int, ConvAlgorithm>? chooseAlgorithm, Action<int, int>? blockFused)
    {
        chooseAlgorithm ??= (block, height, width) =>
            ConvAlgorithmChoice.Choose(block.InChannels, block.OutChannels, block.Groups, block.Stride, height, width);
        // Where each layer's packed weight and bias go, first, so the blob is allocated once: a RepVGG-B3 blob is ~1.5 GB.
        long length = 0;
        var slots = new List<(ConvAlgorithm Algorithm, ConvAlgorithm Stored, long Weight, int WeightLength, long Bias, int BiasLength, ManifestSqueeze? Squeeze)>();
        int height = inputHeight, width = inputWidth;
        foreach (RepVggBlock block in network.Blocks)
        {
            ConvAlgorithm algorithm = chooseAlgorithm(block, height, width);
            if (algorithm != ConvAlgorithm.Direct && block.Stride != 1)
                throw new ArgumentException($"Block {block.Name} has stride {block.Stride}; only Direct runs at stride 2, not {algorithm}.", nameof(chooseAlgorithm));
            LayerShape shape = LayerShape.Of(height, width, block.Stride);
            (height, width) = (shape.OutHeight, shape.OutWidth);
            ConvAlgorithm stored = Conv3x3Packing.StoredAlgorithm(layout, algorithm);
            int weightLength = Conv3x3Packing.PackedWeightLength(stored, block.InChannels, block.OutChannels, block.Groups);
            int biasLength = Conv3x3Packing.PackedBiasLength(block.OutChannels);
            long weight = length, bias = Align(weight + weightLength);
            length = Align(bias + biasLength);
            ManifestSqueeze? squeeze = null;
            if (block.Squeeze is { } unit)
            {
                // The squeeze-and-excitation's two 1x1 convs as they are, in float32: down, its bias, up, its bias.
                long down = length, downBias = Align(down + (long)unit.InternalChannels * unit.Channels);
                long up = Align(downBias + unit.InternalChannels), upBias = Align(up + (long)unit.Channels * unit.InternalChannels);
                length = Align(upBias + unit.Channels);
                squeeze = new ManifestSqueeze(SqueezePlacementName(unit.Placement), unit.InternalChannels, down, downBias, up, upBias);
            }
            slots.Add((algorithm, stored, weight, weightLength, bias, biasLength, squeeze));
        }
        LinearClassifier head = network.Head;
        long headWeight = length, headBias = Align(headWeight + (long)head.Classes * head.Features);
        length = Align(headBias + head.Classes);

        var blob = new float[length];
        var layers = new List<ManifestLayer>();
        for (int i = 0; i < network.Blocks.Count; i++)
        {
            RepVggBlock block = readBlock(i);
            FusedConv fused = BatchNormFolding.Fuse(block);
            var (algorithm, stored, weight, weightLength, bias, biasLength, squeeze) = slots[i];
            // The fused network is the float32 one a deploy checkpoint holds; Winograd transforms those
            // weights exactly (in float64), so every file shape of one network gives one blob.
            float[] fusedWeight = Float32.Round(fused.Weight), fusedBias = Float32.Round(fused.Bias);
            RequireFloat32(fusedWeight, fusedBias, source, $"Block '{block.Name}' ({string.Join(" + ", block.BranchNames)}, fused)");
            Conv3x3Packing.PackWeights(stored, fusedWeight, block.InChannels, block.OutChannels, block.Groups,
                blob.AsSpan((int)weight, weightLength));
            Conv3x3Packing.PackBias(fusedBias, blob.AsSpan((int)bias, biasLength));
            if (squeeze is not null)
            {
                SqueezeExcitation unit = block.Squeeze!;
                foreach ((double[] values, long offset, string part) in new[]
                {
                    (unit.DownWeight, squeeze.DownWeightOffset, "down weight"), (unit.DownBias, squeeze.DownBiasOffset, "down bias"),
                    (unit.UpWeight, squeeze.UpWeightOffset, "up weight"), (unit.UpBias, squeeze.UpBiasOffset, "up bias"),
                })
                {
                    float[] rounded = Float32.Round(values);
                    RequireFloat32(rounded, [], source, $"The squeeze-and-excitation '{unit.Name}''s {part}");
                    rounded.CopyTo(blob.AsSpan((int)offset));
                }
            }
            layers.Add(new ManifestLayer(block.Name, block.Stage, block.Index, block.InChannels, block.OutChannels,
                block.Stride, block.Groups, new EquatableArray<string>(block.BranchNames), ConvAlgorithmChoice.ManifestName(algorithm), weight, bias, squeeze));
            blockFused?.Invoke(i + 1, network.Blocks.Count);
        }
        LinearClassifier classifier = readHead();
        float[] classifierWeight = Float32.Round(classifier.Weight), classifierBias = Float32.Round(classifier.Bias);
        RequireFloat32(classifierWeight, classifierBias, source, $"The classifier '{head.Name}'");
        classifierWeight.CopyTo(blob.AsSpan((int)headWeight));
        classifierBias.CopyTo(blob.AsSpan((int)headBias));

        string blobHash = Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(blob.AsSpan())));
        string variant = RepVggVariant.Match(network)?.Name ?? "custom";
        var manifest = new ModelManifest(ModelManifest.CurrentFormat, source, variant, network.InputChannels,
            new ManifestBlob(length, blobHash, ManifestName(layout)), new EquatableArray<ManifestLayer>(layers),
            new ManifestHead(head.Name, head.Features, head.Classes, headWeight, headBias));
        RequireSoundManifest(manifest, source);
        return new CompiledModel(manifest, blob, wholeNetwork, warnings);
    }

    /// <summary>The manifest's name of a squeeze-and-excitation's placement (<see cref="ManifestSqueezePlacements"/>).</summary>
    public static string SqueezePlacementName(SqueezePlacement placement) =>
        placement == SqueezePlacement.BeforeRelu ? ManifestSqueezePlacements.BeforeRelu : ManifestSqueezePlacements.AfterRelu;

    /// <summary>
    /// Checks the manifest with the generator's own rules before it is written: a network the reader
    /// accepted must give a manifest the generator accepts, so a failure here is a bug in the weights step
    /// (RVG0022), caught where it happens rather than as a puzzling RVG0014 in the next compile.
    /// </summary>
    private static void RequireSoundManifest(ModelManifest manifest, ManifestSource source)
    {
        if (ManifestValidation.FindStructureProblem(manifest) is not { } problem) return;
        throw new CompilationException(CompilerDiagnostic.Error(DiagnosticIds.InternalError, source.File,
            $"The weights step made a manifest the generator would refuse: {problem} This is a bug in the compiler: please report it with the file."));
    }

    /// <summary>
    /// Finite float64 values can still overflow float32 (a weight above 3.4e38, or a BatchNorm scale
    /// gamma / sqrt(var + eps) that multiplies one past it): the network would compute with infinity.
    /// </summary>
    private static void RequireFloat32(float[] weight, float[] bias, ManifestSource source, string what)
    {
        foreach ((float[] values, string part) in new[] { (weight, "weight"), (bias, "bias") })
        {
            int index = Array.FindIndex(values, value => !float.IsFinite(value));
            if (index >= 0)
                throw new CompilationException(CompilerDiagnostic.Error(DiagnosticIds.Float32Overflow, source.File,
                    $"{what} has a {part} of {values[index]} at flat index {index}: the float64 value exceeds float32's range (about 3.4e38). " +
                    "Expected weights and BatchNorm statistics that fit float32, as a network trained in float32 has."));
        }
    }

    /// <summary>Writes the blob (raw little-endian float32) and the manifest (JSON), each replacing an older one atomically.</summary>
    /// <exception cref="CompilationException">RVG0035 when a file or its folder cannot be written.</exception>
    public static void WriteOutputs(CompiledModel model, string blobPath, string manifestPath)
    {
        OutputFile.Write(blobPath, "blob", blob => blob.Write(MemoryMarshal.AsBytes(model.Blob.AsSpan())));
        OutputFile.WriteText(manifestPath, "manifest", ManifestJson.Write(model.Manifest));
    }

    private static CompilerDiagnostic ToDiagnostic(CheckpointException e) => CompilerDiagnostic.Error(e.Problem switch
    {
        CheckpointProblem.Missing => DiagnosticIds.CheckpointMissing,
        CheckpointProblem.UnsupportedDType => DiagnosticIds.UnsupportedDType,
        CheckpointProblem.ForbiddenGlobal => DiagnosticIds.ForbiddenPickleGlobal,
        CheckpointProblem.WholeModule => DiagnosticIds.WholeModuleCheckpoint,
        CheckpointProblem.StateDictKeyNotFound => DiagnosticIds.StateDictKeyNotFound,
        _ => DiagnosticIds.CheckpointUnreadable,
    }, e.File, e.Message);

    private static void CheckVariant(string path, string expected, RepVggVariant? found, TrainedNetwork network)
    {
        RepVggVariant want = RepVggVariant.Find(expected) ?? throw new CompilationException(CompilerDiagnostic.Error(
            DiagnosticIds.UnknownVariant, path,
            $"Variant '{expected}' is not a published RepVGG variant; expected one of {string.Join(", ", RepVggVariant.Published.Select(v => v.Name))}."));
        if (found == want) return;
        string foundText = found?.Name ?? "a custom RepVGG";
        throw new CompilationException(CompilerDiagnostic.Error(DiagnosticIds.VariantMismatch, path,
            $"Expected {want.Name} (stage depths {string.Join("/", want.Depths)}, widths {want.StemWidth}/{string.Join("/", want.Widths)}); " +
            $"found {foundText} (stage depths {string.Join("/", Depths(network))}, widths {string.Join("/", Widths(network))})."));
    }

    private static IEnumerable<int> Depths(TrainedNetwork n) => n.Blocks.Where(b => b.Stage > 0).GroupBy(b => b.Stage).Select(g => g.Count());

    private static IEnumerable<int> Widths(TrainedNetwork n) => n.Blocks.GroupBy(b => b.Stage).Select(g => g.Last().OutChannels);

    private static long Align(long offset) => (offset + BlobAlignment - 1) / BlobAlignment * BlobAlignment;
}
