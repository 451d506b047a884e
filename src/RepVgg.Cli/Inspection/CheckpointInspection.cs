using RepVgg.Checkpoints;
using RepVgg.Compiler;
using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;

namespace RepVgg.Cli.Inspection;

/// <summary>
/// What <c>repvgg inspect</c> reports about a checkpoint: the fused network layer by layer, what the
/// checkpoint is (naming, training or deploy time, variant, element types), its size and cost, and
/// every diagnostic the weights step found. Built from the weights step's own manifest, so the tool
/// and the build never disagree about a file.
/// </summary>
/// <param name="File">The checkpoint as given on the command line.</param>
/// <param name="Naming"><c>official</c>, <c>repvggplus</c> or <c>timm</c>.</param>
/// <param name="Kind"><c>training</c> (branches to fuse) or <c>deploy</c> (already fused).</param>
/// <param name="Variant">The published variant (<c>RepVGG-A0</c>, <c>RepVGG-D2se</c>, <c>RepVGGplus-L2pse</c>) or <c>custom</c>.</param>
/// <param name="InputChannels">Channels of the input image.</param>
/// <param name="InputHeight">Input height the GFLOPs and output sizes are computed for.</param>
/// <param name="InputWidth">Input width the GFLOPs and output sizes are computed for.</param>
/// <param name="Layers">The fused conv3x3 layers in order, the stem first.</param>
/// <param name="Head">The classifier after global average pooling.</param>
/// <param name="CheckpointParameters">Trainable parameters of the network as the checkpoint holds it (see <see cref="ParameterCount"/>).</param>
/// <param name="FusedParameters">Parameters of the fused (deploy-time) network.</param>
/// <param name="Flops">FLOPs of one image through the fused network, a multiply-add counted as 2 (see <see cref="Layer.Flops"/>).</param>
/// <param name="ElementTypes">Every element type among the state dict's tensors, with how many tensors have it.</param>
/// <param name="Diagnostics">The weights step's warnings, in order.</param>
public sealed record CheckpointInspection(
    string File, string Naming, string Kind, string Variant, int InputChannels, int InputHeight, int InputWidth,
    IReadOnlyList<CheckpointInspection.Layer> Layers, CheckpointInspection.Classifier Head,
    long CheckpointParameters, long FusedParameters, long Flops,
    IReadOnlyList<CheckpointInspection.ElementType> ElementTypes, IReadOnlyList<CheckpointInspection.Diagnostic> Diagnostics)
{
    /// <summary>FLOPs in billions (GFLOPs), as papers quote them.</summary>
    public double GFlops => Flops / 1e9;

    /// <summary>One fused conv3x3 + bias + ReLU layer.</summary>
    /// <param name="Stage">0 for the stem, 1.. for the stages.</param>
    /// <param name="Block">Block index within its stage.</param>
    /// <param name="Name">Key prefix in the checkpoint: <c>stage1.0</c>, <c>stages.0.0</c>, <c>stem</c>.</param>
    /// <param name="InChannels">Input channels.</param>
    /// <param name="OutChannels">Output channels.</param>
    /// <param name="Stride">1 or 2.</param>
    /// <param name="Groups">Convolution groups.</param>
    /// <param name="Branches">What the checkpoint holds for it: <c>3x3</c>, <c>1x1</c>, <c>identity</c>, or <c>reparam</c>.</param>
    /// <param name="OutputHeight">Output height at the inspected input size.</param>
    /// <param name="OutputWidth">Output width at the inspected input size.</param>
    /// <param name="Squeeze">Its squeeze-and-excitation, or null.</param>
    /// <param name="Flops">
    /// 2 x OutChannels x (InChannels / Groups) x 9 x OutputHeight x OutputWidth, plus a squeeze-and-excitation's two
    /// products (4 x OutChannels x InternalChannels): multiply-adds only (no bias, no ReLU, no pooling or scaling).
    /// </param>
    public sealed record Layer(int Stage, int Block, string Name, int InChannels, int OutChannels, int Stride, int Groups,
        IReadOnlyList<string> Branches, Squeeze? Squeeze, int OutputHeight, int OutputWidth, long Flops);

    /// <summary>A layer's squeeze-and-excitation.</summary>
    /// <param name="Placement"><c>before-relu</c> (RepVGG-D2se) or <c>after-relu</c> (RepVGGplus-L2pse).</param>
    /// <param name="InternalChannels">Its reduced width.</param>
    public sealed record Squeeze(string Placement, int InternalChannels);

    /// <summary>The linear classifier.</summary>
    /// <param name="Name"><c>linear</c> or <c>head.fc</c>.</param>
    /// <param name="Features">Inputs (the last stage's width).</param>
    /// <param name="Classes">Outputs.</param>
    /// <param name="Flops">2 x Features x Classes.</param>
    public sealed record Classifier(string Name, int Features, int Classes, long Flops);

    /// <param name="Name">PyTorch's name for it (<c>float32</c>, <c>int64</c>), or what the file declares when this library does not know it.</param>
    /// <param name="Tensors">How many tensors of the state dict have it.</param>
    public sealed record ElementType(string Name, int Tensors);

    /// <param name="Id">The stable ID, <c>RVG00xx</c>.</param>
    /// <param name="Severity"><c>warning</c> or <c>error</c>.</param>
    /// <param name="File">The file it concerns.</param>
    /// <param name="Message">What was expected and what was found.</param>
    /// <param name="Line">The same as one line in MSBuild's format, as the build prints it.</param>
    public sealed record Diagnostic(string Id, string Severity, string File, string Message, string Line);

    /// <summary>Compiles <paramref name="path"/> as the build would and describes the result.</summary>
    /// <exception cref="CompilationException">The checkpoint does not compile; the diagnostic says why.</exception>
    public static CheckpointInspection Inspect(string path, CompileOptions options)
    {
        CompiledModel model = WeightsStep.Compile(path, options);
        ModelManifest manifest = model.Manifest;

        var layers = new List<Layer>();
        int inputHeight = options.InputHeight ?? WeightsStep.DefaultInputSize, inputWidth = options.InputWidth ?? WeightsStep.DefaultInputSize;
        int height = inputHeight, width = inputWidth;
        foreach (ManifestLayer layer in manifest.Layers)
        {
            // A 3x3 convolution with padding 1.
            (height, width) = ((height - 1) / layer.Stride + 1, (width - 1) / layer.Stride + 1);
            long flops = 2L * layer.OutChannels * (layer.InChannels / layer.Groups) * 9 * height * width
                + 4L * layer.OutChannels * (layer.Squeeze?.InternalChannels ?? 0);
            layers.Add(new Layer(layer.Stage, layer.Block, layer.Name, layer.InChannels, layer.OutChannels, layer.Stride, layer.Groups,
                [.. layer.Branches], layer.Squeeze is { } squeeze ? new Squeeze(squeeze.Placement, squeeze.InternalChannels) : null, height, width, flops));
        }
        ManifestHead head = manifest.Head;
        var classifier = new Classifier(head.Name, head.Features, head.Classes, 2L * head.Features * head.Classes);

        // The element types of everything the state dict holds (num_batches_tracked's int64 included): names
        // and shapes only, no values are read.
        StateDict tensors = CheckpointReader.Read(path, options.StateDictKey);
        ElementType[] elementTypes = tensors.Values
            .GroupBy(t => t.DType == TensorDType.Other ? t.DeclaredDType : t.DType.TorchName())
            .Select(g => new ElementType(g.Key, g.Count()))
            .OrderByDescending(e => e.Tensors).ThenBy(e => e.Name, StringComparer.Ordinal)
            .ToArray();

        return new CheckpointInspection(path, manifest.Source.KeyLayout, manifest.Source.Kind,
            manifest.Variant, manifest.InputChannels, inputHeight, inputWidth, layers, classifier,
            ParameterCount.Checkpoint(manifest), ParameterCount.Fused(manifest),
            layers.Sum(l => l.Flops) + classifier.Flops, elementTypes,
            [.. model.Warnings.Select(ToDiagnostic)]);
    }

    /// <summary>A weights-step diagnostic as the tool reports it.</summary>
    public static Diagnostic ToDiagnostic(CompilerDiagnostic d) =>
        new(d.Id, d.Severity == DiagnosticSeverity.Error ? "error" : "warning", d.File, d.Message, d.ToMSBuildLine());
}
