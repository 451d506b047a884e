using RepVgg.Checkpoints;
using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;

namespace RepVgg.Compiler.Architecture;

/// <summary>
/// Infers a RepVGG network from a state dict's tensor names and shapes alone: the naming
/// scheme, the stages and their depths, every block's widths, groups and branches, and the
/// classifier. Nothing comes from a variant name. A state dict does not hold strides: the first block
/// of each stage (the stem is stage 0) has the stage's stride, RepVGG's 2 unless the project says
/// otherwise (a CIFAR- or MNIST-style stride-1 stem), and every other block has stride 1.
/// </summary>
public sealed class NetworkReader
{
    private readonly StateDict _tensors;
    private readonly string _file;
    private readonly KeyLayout _layout;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<int>? _strides;

    /// <summary>Every module path the keys name (<c>stage1</c>, <c>stage1.0</c>, <c>stage1.0.rbr_1x1</c>, ...), indexed once.</summary>
    private readonly HashSet<string> _modules = new(StringComparer.Ordinal);

    /// <summary>Whether reads return values; false while the architecture is inferred from shapes alone.</summary>
    private bool _readValues;

    /// <summary>How many unused tensors are named one warning each before one more warning counts the rest.</summary>
    private const int UnusedTensorsNamed = 10;

    private NetworkReader(StateDict tensors, KeyLayout layout, IReadOnlyList<int>? strides)
    {
        _tensors = tensors;
        _file = tensors.SourcePath;
        _layout = layout;
        _strides = strides;
        foreach (string key in tensors.Keys)
        {
            for (int dot = key.IndexOf('.'); dot >= 0; dot = key.IndexOf('.', dot + 1))
                _modules.Add(key[..dot]);
        }
    }

    /// <summary>RepVGG's stride for the first block of every stage, the stem included.</summary>
    public const int DefaultStageStride = 2;

    /// <summary>
    /// Reads the network, every block's values at once. Throws <see cref="CompilationException"/> on the
    /// first error; adds a warning to <paramref name="warnings"/> for every tensor the network does not use.
    /// </summary>
    /// <param name="tensors">The checkpoint's state dict.</param>
    /// <param name="warnings">Receives the warnings.</param>
    /// <param name="strides">
    /// The stride of each stage's first block, stem first (one value per stage, each 1 or 2), or null for
    /// RepVGG's 2 everywhere.
    /// </param>
    public static TrainedNetwork Read(StateDict tensors, ICollection<CompilerDiagnostic> warnings, IReadOnlyList<int>? strides = null)
    {
        NetworkReader reader = Open(tensors, warnings, strides);
        return new TrainedNetwork(reader._layout, Enumerable.Range(0, reader.Architecture.Blocks.Count).Select(reader.ReadBlock).ToList(), reader.ReadHead());
    }

    /// <summary>
    /// Infers the architecture from the tensors' names and shapes, reading no values, for reading one
    /// block at a time with <see cref="ReadBlock"/>: the weights step's memory then holds one block's
    /// tensors rather than the whole checkpoint's. Shapes are checked here; values (finite, positive
    /// variances) when each block is read.
    /// </summary>
    public static NetworkReader Open(StateDict tensors, ICollection<CompilerDiagnostic> warnings, IReadOnlyList<int>? strides = null)
    {
        KeyLayout layout = KeyLayout.Detect(tensors.Keys) ?? throw Fail(tensors.SourcePath, DiagnosticIds.UnknownKeyLayout,
            $"Expected RepVGG tensor names, official ('stage0.rbr_dense.conv.weight', 'stage1.0.rbr_1x1.conv.weight', 'linear.weight'), " +
            $"RepVGGplus ('stage1.blocks.0.rbr_dense.conv.weight') or timm ('stem.conv_kxk.conv.weight', 'stages.0.0.conv_1x1.conv.weight', 'head.fc.weight'); found {Sample(tensors.Keys)}.");
        var reader = new NetworkReader(tensors, layout, strides);
        reader.Architecture = reader.ReadArchitecture();
        // RepVGGplus's training checkpoints hold auxiliary classifiers that inference drops: one warning names them all.
        string[] auxiliary = tensors.Keys.Select(KeyLayout.AuxiliaryClassifier).OfType<string>().Distinct().ToArray();
        if (auxiliary.Length > 0)
        {
            int count = tensors.Keys.Count(k => KeyLayout.AuxiliaryClassifier(k) is not null);
            warnings.Add(CompilerDiagnostic.Warning(DiagnosticIds.AuxiliaryClassifiersDropped, tensors.SourcePath,
                $"The checkpoint holds {auxiliary.Length} auxiliary classifier{(auxiliary.Length == 1 ? "" : "s")} ({string.Join(", ", auxiliary.Select(a => $"'{a}.*'"))}, {count} tensors), " +
                "which RepVGGplus trains with and inference drops (switch_repvggplus_to_deploy deletes them); the network is compiled without them."));
        }
        string[] unused = tensors.Keys.Where(k => !reader._used.Contains(k) && KeyLayout.AuxiliaryClassifier(k) is null).ToArray();
        foreach (string key in unused.Take(UnusedTensorsNamed))
        {
            warnings.Add(CompilerDiagnostic.Warning(DiagnosticIds.UnusedTensor, tensors.SourcePath,
                $"Tensor '{key}' {Shape(tensors[key].Shape)} is not used by the RepVGG network inferred from this checkpoint " +
                $"({reader.Architecture.Blocks.Count} blocks, {layout.Name} names); a checkpoint loaded with strict=False may have the wrong architecture."));
        }
        if (unused.Length > UnusedTensorsNamed)
            warnings.Add(CompilerDiagnostic.Warning(DiagnosticIds.UnusedTensor, tensors.SourcePath,
                $"{unused.Length - UnusedTensorsNamed} more tensors are not used by the RepVGG network inferred from this checkpoint " +
                $"({unused.Length} in all, e.g. {DiagnosticText.Quote(unused[^1])})."));
        return reader;
    }

    /// <summary>
    /// The network's shape: its layout, blocks and head with every name, width, group and branch, but
    /// empty weight arrays. For planning and manifests; <see cref="ReadBlock"/> and <see cref="ReadHead"/> give values.
    /// </summary>
    public TrainedNetwork Architecture { get; private set; } = null!;

    /// <summary>Block <paramref name="index"/> (0 is the stem) with its values, read from the checkpoint now.</summary>
    /// <exception cref="CompilationException">A value is not finite, or a variance not positive.</exception>
    public RepVggBlock ReadBlock(int index)
    {
        RepVggBlock shape = Architecture.Blocks[index];
        return WithValues(() => ReadBlock(shape.Stage, shape.Index, index == 0 ? -1 : shape.InChannels));
    }

    /// <summary>The classifier with its values, read from the checkpoint now.</summary>
    public LinearClassifier ReadHead() => WithValues(() => ReadHead(Architecture.Head.Features));

    private T WithValues<T>(Func<T> read)
    {
        _readValues = true;
        try
        {
            return read();
        }
        finally
        {
            _readValues = false;
        }
    }

    private TrainedNetwork ReadArchitecture()
    {
        var blocks = new List<RepVggBlock>();
        int channels = -1;
        foreach ((int stage, int index) in BlockIndices())
        {
            RepVggBlock block = ReadBlock(stage, index, channels);
            blocks.Add(block);
            channels = block.OutChannels;
        }
        return new TrainedNetwork(_layout, blocks, ReadHead(channels));
    }

    /// <summary>The stem, then stages 1.. with their blocks, each numbered from 0 without gaps.</summary>
    private IEnumerable<(int Stage, int Index)> BlockIndices()
    {
        var depths = new SortedDictionary<int, int>();
        foreach (string key in _tensors.Keys)
        {
            if (_layout.TryParseStageBlock(key, out int stage, out int index))
                depths[stage] = Math.Max(depths.GetValueOrDefault(stage), index + 1);
        }
        if (depths.Count == 0)
            throw Fail(DiagnosticIds.MissingTensor, $"Expected the blocks of stage 1 ('{_layout.BlockPrefix(1, 0)}.*'); found no stage tensors.");

        int lastStage = depths.Keys.Max();
        if (_strides is not null && _strides.Count != lastStage + 1)
            throw Fail(DiagnosticIds.InvalidStrides,
                $"Strides lists {_strides.Count} values ({string.Join(",", _strides)}); this checkpoint has {lastStage + 1} stages (the stem and stages 1 to {lastStage}), " +
                $"so expected {lastStage + 1} values, stem first, e.g. Strides=\"1{string.Concat(Enumerable.Repeat(",2", lastStage))}\".");
        yield return (0, 0);
        for (int stage = 1; stage <= lastStage; stage++)
        {
            if (!depths.TryGetValue(stage, out int depth))
                throw Fail(DiagnosticIds.MissingTensor, $"Expected tensors of stage {stage} ('{_layout.BlockPrefix(stage, 0)}.*') between the stem and stage {lastStage}; found none.");
            for (int index = 0; index < depth; index++) yield return (stage, index);
        }
    }

    private RepVggBlock ReadBlock(int stage, int index, int inChannels)
    {
        string prefix = _layout.BlockPrefix(stage, index);
        int stride = index > 0 ? 1 : _strides?[stage] ?? DefaultStageStride;
        string reparam = _layout.ReparamWeight(prefix);
        if (_tensors.ContainsKey(reparam))
        {
            var (weight, outChannels, groups, inferredIn) = ReadConvWeight(reparam, 3, inChannels);
            double[] bias = ReadVector(_layout.ReparamBias(prefix), outChannels);
            return new RepVggBlock(prefix, stage, index, inferredIn, outChannels, stride, groups, null, null, null,
                new FusedConv(inferredIn, outChannels, groups, weight, bias), ReadSqueeze(prefix, outChannels));
        }

        string denseWeight = KeyLayout.ConvWeight(prefix, _layout.Dense);
        if (!_tensors.ContainsKey(denseWeight))
            throw Fail(DiagnosticIds.MissingTensor,
                $"Expected block '{prefix}' to hold '{denseWeight}' (training-time) or '{reparam}' (deploy-time); found {Sample(_tensors.Keys.Where(k => k.StartsWith(prefix + ".", StringComparison.Ordinal)))}.");
        var (denseW, outCh, g, inCh) = ReadConvWeight(denseWeight, 3, inChannels);
        var dense = new ConvBatchNorm(denseW, 3, ReadBatchNorm(KeyLayout.ConvNorm(prefix, _layout.Dense), outCh));

        ConvBatchNorm? pointwise = null;
        string pointwiseWeight = KeyLayout.ConvWeight(prefix, _layout.Pointwise);
        if (HasModule($"{prefix}.{_layout.Pointwise}"))
        {
            var (w, pointwiseOut, pointwiseGroups, _) = ReadConvWeight(pointwiseWeight, 1, inCh);
            if (pointwiseOut != outCh)
                throw Fail(DiagnosticIds.ShapeMismatch, $"Tensor '{pointwiseWeight}' has {pointwiseOut} output channels; expected {outCh} like '{denseWeight}'.");
            if (pointwiseGroups != g)
                throw Fail(DiagnosticIds.InconsistentGroupsOrStride,
                    $"Block '{prefix}': '{denseWeight}' {Shape(_tensors[denseWeight].Shape)} implies {g} groups but '{pointwiseWeight}' {Shape(_tensors[pointwiseWeight].Shape)} implies {pointwiseGroups}; both branches must use the same groups.");
            pointwise = new ConvBatchNorm(w, 1, ReadBatchNorm(KeyLayout.ConvNorm(prefix, _layout.Pointwise), outCh));
        }

        BatchNorm? identity = null;
        string identityPrefix = $"{prefix}.{_layout.Identity}";
        if (HasModule(identityPrefix))
        {
            if (stride != 1)
                throw Fail(DiagnosticIds.InconsistentGroupsOrStride,
                    $"Block '{prefix}' has an identity branch ('{identityPrefix}.*'), but as the first block of {(stage == 0 ? "the network" : $"stage {stage}")} it downsamples with stride {stride}, where an identity is impossible; expected no identity branch here. " +
                    "If the network was trained with stride 1 there, say so with the Strides metadata (one value per stage, stem first).");
            if (inCh != outCh)
                throw Fail(DiagnosticIds.ShapeMismatch,
                    $"Block '{prefix}' has an identity branch ('{identityPrefix}.*'), which needs as many input as output channels; found {inCh} in, {outCh} out.");
            identity = ReadBatchNorm(identityPrefix, outCh);
        }
        return new RepVggBlock(prefix, stage, index, inCh, outCh, stride, g, dense, pointwise, identity, null, ReadSqueeze(prefix, outCh));
    }

    /// <summary>
    /// The block's squeeze-and-excitation, whichever of the layout's modules it holds (its placement follows from the
    /// module's name, its reduced width from the down conv's shape), or null for none.
    /// </summary>
    private SqueezeExcitation? ReadSqueeze(string block, int channels)
    {
        SqueezeModule[] present = _layout.Squeezes.Where(squeeze => HasModule($"{block}.{squeeze.Module}")).ToArray();
        if (present.Length > 1)
            throw Fail(DiagnosticIds.ShapeMismatch,
                $"Block '{block}' holds {string.Join(" and ", present.Select(p => $"'{block}.{p.Module}.*'"))}; expected at most one squeeze-and-excitation per block.");
        if (present is not [SqueezeModule module])
            return null;
        string prefix = $"{block}.{module.Module}";
        string downKey = $"{prefix}.{module.Down}.weight", upKey = $"{prefix}.{module.Up}.weight";
        CheckpointTensor down = Require(downKey);
        if (down.Shape is not [> 0 and var internalChannels, var downIn, 1, 1] || downIn != channels)
            throw Fail(DiagnosticIds.ShapeMismatch,
                $"Tensor '{downKey}' has shape {Shape(down.Shape)}; expected (internal, {channels}, 1, 1): a 1x1 conv from the block's {channels} output channels to the squeeze-and-excitation's reduced width.");
        CheckpointTensor up = Require(upKey);
        if (up.Shape is not [var upOut, var upIn, 1, 1] || upOut != channels || upIn != internalChannels)
            throw Fail(DiagnosticIds.ShapeMismatch,
                $"Tensor '{upKey}' has shape {Shape(up.Shape)}; expected ({channels}, {internalChannels}, 1, 1) to undo '{downKey}' {Shape(down.Shape)}.");
        return new SqueezeExcitation(prefix, module.Placement, channels, internalChannels,
            ReadValues(down), ReadVector($"{prefix}.{module.Down}.bias", internalChannels),
            ReadValues(up), ReadVector($"{prefix}.{module.Up}.bias", channels));
    }

    private LinearClassifier ReadHead(int features)
    {
        string weightKey = $"{_layout.Head}.weight";
        CheckpointTensor weight = Require(weightKey);
        if (weight.Shape.Length != 2 || weight.Shape[1] != features)
            throw Fail(DiagnosticIds.ShapeMismatch, $"Tensor '{weightKey}' has shape {Shape(weight.Shape)}; expected (classes, {features}) to follow the last block's {features} channels.");
        int classes = weight.Shape[0];
        if (classes == 0)
            throw Fail(DiagnosticIds.ShapeMismatch, $"Tensor '{weightKey}' has shape {Shape(weight.Shape)}: a classifier with no classes; expected at least one.");
        return new LinearClassifier(_layout.Head, features, classes, ReadValues(weight), ReadVector($"{_layout.Head}.bias", classes));
    }

    /// <summary>
    /// Reads a conv weight (Out, In / Groups, K, K) and infers the groups from the input
    /// channels; for the stem (<paramref name="inChannels"/> &lt; 0) the input channels come from the shape.
    /// </summary>
    private (double[] Weight, int Out, int Groups, int In) ReadConvWeight(string key, int kernel, int inChannels)
    {
        CheckpointTensor tensor = Require(key);
        int[] s = tensor.Shape;
        if (s.Length != 4 || s[2] != kernel || s[3] != kernel || s[0] <= 0 || s[1] <= 0)
            throw Fail(DiagnosticIds.ShapeMismatch, $"Tensor '{key}' has shape {Shape(s)}; expected (out, in/groups, {kernel}, {kernel}).");
        int inCh = inChannels < 0 ? s[1] : inChannels;
        if (inCh % s[1] != 0)
            throw Fail(DiagnosticIds.InconsistentGroupsOrStride,
                $"Tensor '{key}' has shape {Shape(s)}: {s[1]} input channels per group does not divide the {inCh} channels entering this block, so no group count fits.");
        int groups = inCh / s[1];
        if (s[0] % groups != 0)
            throw Fail(DiagnosticIds.InconsistentGroupsOrStride,
                $"Tensor '{key}' has shape {Shape(s)}: {inCh} input channels in groups of {s[1]} make {groups} groups, which do not divide its {s[0]} output channels.");
        return (ReadValues(tensor), s[0], groups, inCh);
    }

    private BatchNorm ReadBatchNorm(string prefix, int channels)
    {
        double[] variance = ReadVector($"{prefix}.running_var", channels);
        for (int i = 0; i < variance.Length; i++)
        {
            if (variance[i] <= 0)
                throw Fail(DiagnosticIds.NonPositiveVariance,
                    $"Tensor '{prefix}.running_var' holds {variance[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)} at index {i}; expected every running variance > 0.");
        }
        _used.Add($"{prefix}.num_batches_tracked");
        return new BatchNorm(
            ReadVector($"{prefix}.weight", channels), ReadVector($"{prefix}.bias", channels),
            ReadVector($"{prefix}.running_mean", channels), variance, BatchNorm.RepVggEps);
    }

    private double[] ReadVector(string key, int length)
    {
        CheckpointTensor tensor = Require(key);
        if (tensor.Shape.Length != 1 || tensor.Shape[0] != length)
            throw Fail(DiagnosticIds.ShapeMismatch, $"Tensor '{key}' has shape {Shape(tensor.Shape)}; expected ({length}).");
        return ReadValues(tensor);
    }

    /// <summary>Converts a tensor to float64 and checks every value is finite; empty while only shapes are read.</summary>
    private double[] ReadValues(CheckpointTensor tensor)
    {
        _used.Add(tensor.Name);
        if (!_readValues)
            return [];
        double[] values = tensor.ToDoubleArray();
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
                throw Fail(DiagnosticIds.NonFiniteValue,
                    $"Tensor '{tensor.Name}' {Shape(tensor.Shape)} holds {values[i].ToString(System.Globalization.CultureInfo.InvariantCulture)} at flat index {i}; expected finite weights (was the model trained with a diverged loss?).");
        }
        return values;
    }

    private bool HasModule(string prefix) => _modules.Contains(prefix);

    private CheckpointTensor Require(string key) =>
        _tensors.TryGetValue(key, out CheckpointTensor? tensor)
            ? tensor
            : throw Fail(DiagnosticIds.MissingTensor, $"Expected tensor '{key}'; the checkpoint does not hold it.");

    private CompilationException Fail(string id, string message) => Fail(_file, id, message);

    private static CompilationException Fail(string file, string id, string message) =>
        new(CompilerDiagnostic.Error(id, file, message));

    private static string Shape(int[] shape) => "(" + string.Join(", ", shape) + ")";

    private static string Sample(IEnumerable<string> keys)
    {
        string[] first = keys.Take(4).ToArray();
        return first.Length == 0 ? "no tensors" : string.Join(", ", first.Select(k => $"'{k}'")) + (keys.Skip(4).Any() ? ", ..." : "");
    }
}
