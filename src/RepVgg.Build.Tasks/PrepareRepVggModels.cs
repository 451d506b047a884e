using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using RepVgg.Checkpoints;
using RepVgg.Manifest;

namespace RepVgg.Build.Tasks;

/// <summary>
/// The first thing the targets do with the <c>RepVggModel</c> items, on every build. It checks every item's
/// path and metadata before any value names a path, a resource or a compiler argument (one RVG error per
/// invalid item, and then nothing is written); works out each model's files from its <c>ClassName</c>; writes
/// the request each step of the model will run with; and decides whether the weights step must run again by
/// content: the request (every metadata value, the resolved path, every output path and the compiler's files,
/// by SHA-256) and the checkpoint's SHA-256 against the stamp the step wrote when it last compiled the model.
/// Time stamps decide nothing, so a checkpoint replaced by an older file, a property that points the item
/// elsewhere and a retargeted symbolic link all compile again.
/// </summary>
public sealed class PrepareRepVggModels : Microsoft.Build.Utilities.Task
{
    /// <summary>The project's <c>RepVggModel</c> items.</summary>
    [Required]
    public ITaskItem[] Models { get; set; } = [];

    /// <summary>The project file, which errors about an item name.</summary>
    [Required]
    public string ProjectFile { get; set; } = "";

    /// <summary>The folder of the weights step's outputs (<c>obj/&lt;config&gt;/&lt;tfm&gt;/RepVgg/</c>).</summary>
    [Required]
    public string IntermediateDirectory { get; set; } = "";

    /// <summary>The build output folder (<c>$(OutDir)</c>), where an exported ONNX model goes.</summary>
    [Required]
    public string OutputDirectory { get; set; } = "";

    /// <summary>The project's <c>RootNamespace</c>: a model's namespace when its item names none.</summary>
    public string RootNamespace { get; set; } = "";

    /// <summary>The weights step's files (<c>repvgg-compile.dll</c> and what it loads): a changed one compiles every model again.</summary>
    public ITaskItem[] ToolFiles { get; set; } = [];

    /// <summary>An IDE's design-time build: check and name, but read and write nothing.</summary>
    public bool DesignTimeBuild { get; set; }

    /// <summary>Where the compiler writes the generator's files when asked to (a snapshot compares them).</summary>
    public string GeneratedDirectory { get; set; } = "";

    /// <summary>The project's <c>RepVggSnapshots/</c> folder.</summary>
    public string SnapshotDirectory { get; set; } = "";

    /// <summary><c>-p:RepVggAcceptSnapshots=true</c>: take this build's generated source and logits as the snapshots.</summary>
    public bool AcceptSnapshots { get; set; }

    /// <summary>
    /// One item per model, with the item's metadata and <c>ManifestPath</c>, <c>BlobPath</c>, <c>ResourceName</c>,
    /// <c>OnnxPath</c> (when exported), <c>RequestPath</c>, <c>CompiledStampPath</c> and <c>Stale</c> (<c>true</c> when the weights step must
    /// run); for <c>Snapshot="true"</c> also <c>GeneratedPath</c>, <c>LogitsPath</c>, <c>StampPath</c>,
    /// <c>ProbeRequestPath</c> and <c>SnapshotRequestPath</c>.
    /// </summary>
    [Output]
    public ITaskItem[] PreparedModels { get; set; } = [];

    /// <summary>The metadata the targets read, each checked for control characters.</summary>
    private static readonly string[] s_metadataNames =
        ["ClassName", "Namespace", "InputHeight", "InputWidth", "Variant", "Synthesize", "ExportOnnx", "Strides", "StateDictKey", "Snapshot", "WeightsLayout", "Embed"];

    /// <inheritdoc/>
    public override bool Execute()
    {
        List<ModelItem> models = Models.Select(item => ModelItem.Read(item, RootNamespace)).ToList();
        foreach (ModelItem model in models)
        {
            if (Problem(model) is { } problem) Log.LogError(null, problem.Code, null, ProjectFile, 0, 0, 0, 0, problem.Message);
        }
        if (!Log.HasLoggedErrors && DuplicateClassNames(models) is { } duplicates)
            Log.LogError(null, DiagnosticIds.DuplicateClassName, null, ProjectFile, 0, 0, 0, 0, duplicates);
        if (Log.HasLoggedErrors) return false;

        string compiler = DesignTimeBuild ? "" : CompilerIdentity();
        PreparedModels = models.Select(model => Prepare(model, compiler)).ToArray();
        return !Log.HasLoggedErrors;
    }

    /// <summary>The first thing wrong with an item, as an RVG code and a message naming the item and the value.</summary>
    private static (string Code, string Message)? Problem(ModelItem model)
    {
        string item = $"RepVggModel {DiagnosticText.Quote(model.Item.ItemSpec)}";
        if (DiagnosticText.HasUnsafeCharacter(model.Item.ItemSpec) || DiagnosticText.HasUnsafeCharacter(model.FullPath))
            return (DiagnosticIds.InvalidMetadata, $"{item}: its path holds a control character; expected a file name without line breaks or other control characters.");
        foreach (string name in s_metadataNames)
        {
            string value = model.Item.GetMetadata(name);
            if (DiagnosticText.HasUnsafeCharacter(value))
                return (DiagnosticIds.InvalidMetadata, $"{item}: {name} {DiagnosticText.Quote(value)} holds a control character; expected a value on one line without control characters.");
        }
        if (model.ClassName.Length == 0)
            return (DiagnosticIds.MissingClassName, $"RepVggModel '{DiagnosticText.OneLine(model.Item.ItemSpec)}' has no ClassName metadata; expected e.g. ClassName=\"RepVggB1\".");
        if (ModelItemRules.ClassNameProblem(model.ClassName) is { } classProblem)
            return (DiagnosticIds.InvalidName, $"{item}: ClassName {DiagnosticText.Quote(model.ClassName)} cannot be used: {classProblem}.");
        if (ModelItemRules.NamespaceProblem(model.Namespace) is { } namespaceProblem)
        {
            string source = model.Item.GetMetadata("Namespace").Length > 0 ? "Namespace" : "the project's RootNamespace";
            return (DiagnosticIds.InvalidName, $"{item}: {source} {DiagnosticText.Quote(model.Namespace)} cannot be used: {namespaceProblem}.");
        }
        foreach (string name in new[] { "InputHeight", "InputWidth" })
        {
            string value = model.Item.GetMetadata(name);
            if (value.Length > 0 && !ModelItemRules.TryParseInputSize(value, out _))
                return (DiagnosticIds.InvalidInputSize, $"{item}: {name} {DiagnosticText.Quote(value)} is not a positive integer; expected digits only, e.g. {name}=\"224\".");
        }
        string layout = model.Item.GetMetadata("WeightsLayout");
        if (layout.Length > 0 && !ModelItemRules.IsWeightsLayout(layout))
            return (DiagnosticIds.InvalidMetadata, $"{item}: WeightsLayout {DiagnosticText.Quote(layout)} is not a blob layout; expected WeightsLayout=\"Compact\" (the default) or \"Prepacked\".");
        foreach (string name in new[] { "ExportOnnx", "Snapshot", "Embed" })
        {
            string value = model.Item.GetMetadata(name);
            if (value.Length > 0 && !IsBoolean(value))
                return (DiagnosticIds.InvalidMetadata, $"{item}: {name} {DiagnosticText.Quote(value)} is not a yes or no; expected {name}=\"true\" or \"false\".");
        }
        return null;
    }

    private static bool IsBoolean(string value) =>
        value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("false", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The error when two items share a ClassName. Names that differ only in case count as one: their files
    /// under obj/ would be one file on Windows' and macOS's file systems.
    /// </summary>
    private static string? DuplicateClassNames(List<ModelItem> models)
    {
        int distinct = models.Select(model => model.ClassName).Distinct(StringComparer.OrdinalIgnoreCase).Count();
        return distinct == models.Count
            ? null
            : $"Two RepVggModel items have the same ClassName ({models.Count} items, {distinct} distinct names: " +
              $"{string.Join(", ", models.Select(model => model.ClassName))}); expected one ClassName per model.";
    }

    /// <summary>
    /// SHA-256 of every file of the weights step, by name: a rebuilt compiler with the same bytes changes
    /// nothing, one with other bytes compiles every model again.
    /// </summary>
    private string CompilerIdentity() => string.Join(" ", ToolFiles
        .Select(file => file.GetMetadata("FullPath"))
        .OrderBy(path => path, StringComparer.Ordinal)
        .Select(path => $"{Path.GetFileName(path)}:{StepRequest.FileSha256Hex(path)}"));

    private ITaskItem Prepare(ModelItem model, string compiler)
    {
        var prepared = new TaskItem(model.Item);
        string baseName = Path.Combine(IntermediateDirectory, model.ClassName);
        string manifest = baseName + ".repvgg.json", blob = baseName + ".weights.bin";
        string request = baseName + ".request.json", stamp = baseName + ".compiled.txt";
        string? onnx = IsTrue(model.Item.GetMetadata("ExportOnnx")) ? Path.Combine(OutputDirectory, model.ClassName + ".onnx") : null;
        Set(prepared, "ClassName", model.ClassName);
        Set(prepared, "ManifestPath", manifest);
        Set(prepared, "BlobPath", blob);
        // Qualified by the namespace: with Embed="false" it names the file beside the assembly, which the classes of two
        // referenced projects must not share when they have one name.
        Set(prepared, "ResourceName", model.Namespace.Length > 0 ? $"RepVgg.{model.Namespace}.{model.ClassName}.weights.bin" : $"RepVgg.{model.ClassName}.weights.bin");
        Set(prepared, "OnnxPath", onnx ?? "");
        Set(prepared, "RequestPath", request);
        Set(prepared, "CompiledStampPath", stamp);
        bool snapshot = IsTrue(model.Item.GetMetadata("Snapshot"));
        Set(prepared, "Snapshot", snapshot ? "true" : "false");
        if (snapshot) PrepareSnapshot(model, prepared, manifest, blob, baseName);
        if (DesignTimeBuild)
        {
            Set(prepared, "Stale", "false");
            return prepared;
        }

        string requestText = new StepRequest("compile")
            .Add("checkpoint", model.FullPath)
            .Add("blob", blob)
            .Add("manifest", manifest)
            .Add("onnx", onnx)
            .Add("stamp", stamp)
            .Add("variant", model.Item.GetMetadata("Variant"))
            .Add("synthesize", model.Item.GetMetadata("Synthesize"))
            .Add("inputHeight", model.Item.GetMetadata("InputHeight"))
            .Add("inputWidth", model.Item.GetMetadata("InputWidth"))
            .Add("strides", model.Item.GetMetadata("Strides"))
            .Add("stateDictKey", model.Item.GetMetadata("StateDictKey"))
            .Add("weightsLayout", model.Item.GetMetadata("WeightsLayout"))
            .Add("compiler", compiler)
            .ToString();
        TextFile.WriteIfChanged(request, requestText);
        // What the step writes to the stamp after it compiled this request from this checkpoint.
        string expected = $"{StepRequest.Hash(requestText)} {CheckpointHash(model.FullPath)}";
        bool stale = !File.Exists(manifest) || !File.Exists(blob) || (onnx is not null && !File.Exists(onnx))
            || !File.Exists(stamp) || File.ReadAllText(stamp).Trim() != expected;
        Set(prepared, "Stale", stale ? "true" : "false");
        return prepared;
    }

    /// <summary>
    /// The checkpoint's SHA-256, or <c>absent</c> when there is no file with content to hash: a missing file (to be
    /// synthesized, or reported by the step), a folder, or a FIFO or device, which the step refuses unread (hashing
    /// one here could wait forever). At most the size the file had when looked at is read.
    /// </summary>
    private static string CheckpointHash(string path)
    {
        var file = new FileInfo(path);
        return file.Exists && file.Length > 0 ? StepRequest.FileSha256Hex(path) : "absent";
    }

    private void PrepareSnapshot(ModelItem model, ITaskItem prepared, string manifest, string blob, string baseName)
    {
        // The generator's hint name: <Namespace>.<ClassName>.g.cs, or <ClassName>.g.cs in the global namespace.
        string generated = Path.Combine(GeneratedDirectory, (model.Namespace.Length > 0 ? model.Namespace + "." : "") + model.ClassName + ".g.cs");
        string logits = baseName + ".logits.txt";
        string probeRequest = baseName + ".probe.json", snapshotRequest = baseName + ".snapshot.json";
        Set(prepared, "GeneratedPath", generated);
        Set(prepared, "LogitsPath", logits);
        Set(prepared, "StampPath", baseName + ".snapshot.stamp");
        Set(prepared, "ProbeRequestPath", probeRequest);
        Set(prepared, "SnapshotRequestPath", snapshotRequest);
        if (DesignTimeBuild) return;
        TextFile.WriteIfChanged(probeRequest, new StepRequest("probe")
            .Add("manifest", manifest)
            .Add("blob", blob)
            .Add("class", model.ClassName)
            .Add("output", logits)
            .Add("inputHeight", model.Item.GetMetadata("InputHeight"))
            .Add("inputWidth", model.Item.GetMetadata("InputWidth"))
            .ToString());
        TextFile.WriteIfChanged(snapshotRequest, new StepRequest("snapshot")
            .Add("class", model.ClassName)
            .Add("generated", generated)
            .Add("logits", logits)
            .Add("directory", SnapshotDirectory)
            .Add("accept", AcceptSnapshots)
            .ToString());
    }

    // A path may hold '%', ';' or '@', which MSBuild reads as escapes or separators in a value set the plain way.
    private static void Set(ITaskItem item, string name, string value) => ((ITaskItem2)item).SetMetadataValueLiteral(name, value);

    private static bool IsTrue(string value) => value.Equals("true", StringComparison.OrdinalIgnoreCase);

    /// <summary>An item with the values every check reads: its path, its class and the namespace the class goes in.</summary>
    private sealed class ModelItem(ITaskItem item, string fullPath, string className, string ns)
    {
        public ITaskItem Item { get; } = item;

        public string FullPath { get; } = fullPath;

        public string ClassName { get; } = className;

        public string Namespace { get; } = ns;

        public static ModelItem Read(ITaskItem item, string rootNamespace)
        {
            string ns = item.GetMetadata("Namespace");
            return new ModelItem(item, item.GetMetadata("FullPath"), item.GetMetadata("ClassName"), ns.Length > 0 ? ns : rootNamespace);
        }
    }
}
