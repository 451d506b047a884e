namespace RepVgg.Manifest;

/// <summary>
/// Every diagnostic the weights step and the generator report. IDs are stable: never reuse or
/// renumber one. The README's diagnostics table lists them for users.
/// </summary>
public static class DiagnosticIds
{
    /// <summary>Error: the checkpoint file does not exist.</summary>
    public const string CheckpointMissing = "RVG0001";
    /// <summary>Error: the checkpoint is unreadable, truncated or corrupt.</summary>
    public const string CheckpointUnreadable = "RVG0002";
    /// <summary>Error: the tensor names follow no RepVGG naming scheme we know.</summary>
    public const string UnknownKeyLayout = "RVG0003";
    /// <summary>Error: a block lacks a tensor its branches need.</summary>
    public const string MissingTensor = "RVG0004";
    /// <summary>Error: a tensor's shape disagrees with the rest of the network.</summary>
    public const string ShapeMismatch = "RVG0005";
    /// <summary>Error: groups or strides cannot be made consistent across a block's branches.</summary>
    public const string InconsistentGroupsOrStride = "RVG0006";
    /// <summary>Error: a tensor holds NaN or infinity.</summary>
    public const string NonFiniteValue = "RVG0007";
    /// <summary>Error: a BatchNorm running variance is zero or negative.</summary>
    public const string NonPositiveVariance = "RVG0008";
    /// <summary>Error: a tensor's element type cannot be used.</summary>
    public const string UnsupportedDType = "RVG0009";
    /// <summary>Error: the pickle names a global outside the state_dict allow-list.</summary>
    public const string ForbiddenPickleGlobal = "RVG0010";
    /// <summary>Error: InputHeight or InputWidth is not a positive integer.</summary>
    public const string InvalidInputSize = "RVG0011";
    /// <summary>Warning: the checkpoint holds a tensor the network does not use.</summary>
    public const string UnusedTensor = "RVG0012";
    /// <summary>Error: the tensors are not the variant the project says they are.</summary>
    public const string VariantMismatch = "RVG0013";
    /// <summary>Error (generator): a model manifest cannot be read: not valid JSON, a field missing, or layers that do not chain.</summary>
    public const string ManifestUnreadable = "RVG0014";
    /// <summary>Error (generator): ClassName or Namespace is not a valid C# name, or clashes with a member of the generated class.</summary>
    public const string InvalidName = "RVG0015";
    /// <summary>Error: the Strides metadata is not one stride of 1 or 2 per stage.</summary>
    public const string InvalidStrides = "RVG0016";
    /// <summary>Error: the checkpoint is a whole pickled module (torch.save(model)), not its state_dict.</summary>
    public const string WholeModuleCheckpoint = "RVG0017";
    /// <summary>Error: the StateDictKey metadata names no state_dict in the checkpoint.</summary>
    public const string StateDictKeyNotFound = "RVG0018";
    /// <summary>Warning: entries beside the state_dict hold Python objects that were skipped without being constructed.</summary>
    public const string SkippedPythonObjects = "RVG0019";
    /// <summary>Warning: the checkpoint holds an EMA copy of the weights that was not compiled.</summary>
    public const string UnchosenEma = "RVG0020";
    /// <summary>Error: a weight, or a weight after folding BatchNorm into it, is too large for float32.</summary>
    public const string Float32Overflow = "RVG0021";
    /// <summary>Error: the weights step failed in a way it did not foresee (a bug); the message says how, to report it.</summary>
    public const string InternalError = "RVG0022";
    /// <summary>Error (MSBuild targets): a RepVggModel item has no ClassName metadata.</summary>
    public const string MissingClassName = "RVG0023";
    /// <summary>Error (MSBuild targets): two RepVggModel items share one ClassName.</summary>
    public const string DuplicateClassName = "RVG0024";
    /// <summary>Error (MSBuild targets): the weights step exited with a failure; its own diagnostics say why, this says how to rerun it.</summary>
    public const string WeightsStepFailed = "RVG0025";
    /// <summary>Warning (MSBuild targets): a design-time build (an IDE's) found a model not yet compiled; a build generates its class.</summary>
    public const string NotYetCompiled = "RVG0026";
    /// <summary>Error (MSBuild targets): a RepVggModel item's path or metadata holds a control character, or ExportOnnx, Snapshot or Embed is not true or false, or WeightsLayout names no layout.</summary>
    public const string InvalidMetadata = "RVG0027";
    /// <summary>Warning: a custom network (no published variant) was compiled on RepVGG's strides or input size because nothing gave its own.</summary>
    public const string AssumedDefaults = "RVG0028";
    /// <summary>Error (generator): an input image, InputChannels x InputHeight x InputWidth floats, has more floats than an int can count.</summary>
    public const string InputTooLarge = "RVG0029";
    /// <summary>Error (repvgg verify): the input file is missing, or is not a whole number of float32 N x C x H x W images.</summary>
    public const string VerifyInputMismatch = "RVG0030";
    /// <summary>Error: an output path names one of the command's inputs or another of its outputs.</summary>
    public const string OutputIsInput = "RVG0031";
    /// <summary>Error: the Variant metadata (or --variant) names no published RepVGG variant.</summary>
    public const string UnknownVariant = "RVG0032";
    /// <summary>Error (generator): a model's item lacks RepVggResourceName metadata, the logical name of its embedded weights, which the RepVgg targets set.</summary>
    public const string MissingResourceName = "RVG0033";
    /// <summary>Error (MSBuild targets): the weights a project's models would embed add up past the limit one assembly holds safely.</summary>
    public const string EmbeddedWeightsTooLarge = "RVG0034";
    /// <summary>Error: an output file cannot be written (a folder it cannot create or that is missing, no permission, a full disk, a folder at its path).</summary>
    public const string OutputNotWritten = "RVG0035";
    /// <summary>Warning: a RepVGGplus training checkpoint holds auxiliary classifiers, which inference drops.</summary>
    public const string AuxiliaryClassifiersDropped = "RVG0036";
    /// <summary>Warning: a network with squeeze-and-excitation is compiled for a non-square input, where the official pooling window is not the whole map.</summary>
    public const string NonSquareSqueezePooling = "RVG0037";
    /// <summary>Error (model snapshot): the source generated for a model with Snapshot="true" differs from its committed snapshot.</summary>
    public const string SnapshotSourceDiffers = "RVG0040";
    /// <summary>Error (model snapshot): the compiled network's logits for the probe image differ from its committed snapshot.</summary>
    public const string SnapshotLogitsDiffer = "RVG0041";
    /// <summary>Error (model snapshot): the generated source the snapshot compares was not emitted where the build expects it.</summary>
    public const string GeneratedSourceNotFound = "RVG0042";
}
