using System.Diagnostics;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Diagnostics;
using RepVgg.Manifest;
using RepVgg.Compiler.Onnx;
using RepVgg.Compiler.Outputs;

namespace RepVgg.Compiler;

/// <summary>
/// The weights step's <c>compile</c> and <c>export-onnx</c> commands, one implementation for both front ends:
/// <c>repvgg-compile</c> (run by the build) and <c>repvgg</c> (run by people). Warnings and a line of what was
/// done go to <paramref name="log"/>, prefixed with <paramref name="toolName"/>; errors are thrown as diagnostics.
/// </summary>
/// <param name="toolName">Prefix of the lines written, e.g. <c>repvgg-compile</c> (the build's tests look for it).</param>
/// <param name="log">Where warnings (in MSBuild's format) and the summary lines go.</param>
/// <param name="blockFused">Progress of the fusion, as <see cref="WeightsStep.Compile"/> reports it.</param>
public sealed class WeightsStepCommands(string toolName, TextWriter log, Action<int, int>? blockFused = null)
{
    /// <summary>
    /// Compiles <paramref name="checkpoint"/> and writes the blob and the manifest the build embeds, and the ONNX
    /// model too when <paramref name="onnxPath"/> is given.
    /// </summary>
    /// <param name="prepareCheckpoint">
    /// Runs once the outputs are known not to be the checkpoint, before it is read: <c>Synthesize</c> writes a missing
    /// checkpoint there, and returns what it did for the model's line (e.g. "synthesized in 14.2 s"), or null.
    /// </param>
    /// <exception cref="CompilationException">
    /// Any error in the checkpoint or the options; RVG0031, before anything is read, when an output is the checkpoint or another output.
    /// </exception>
    public CompiledModel Compile(string checkpoint, CompileOptions options, string blobPath, string manifestPath, string? onnxPath = null,
        Func<string?>? prepareCheckpoint = null)
    {
        OutputPaths.Check([new(CheckpointName, checkpoint)],
            [new("--blob", blobPath), new("--manifest", manifestPath), new("--onnx", onnxPath)]);
        var clock = Stopwatch.StartNew();
        string? prepared = prepareCheckpoint?.Invoke();
        CompiledModel model = CompileAndWarn(checkpoint, options);
        WeightsStep.WriteOutputs(model, blobPath, manifestPath);
        log.WriteLine(Summary(model.Manifest, options, new FileInfo(checkpoint).Length, prepared, clock.Elapsed));
        if (onnxPath is not null) WriteOnnx(model, onnxPath);
        return model;
    }

    /// <summary>
    /// The model's one line: what was read, synthesized, fused and planned, with sizes and the time it all took, e.g.
    /// <c>repvgg-compile: a0.pth -> RepVGG-A0, 22 fused conv3x3 layers (official names, training-time), planned for
    /// 224 x 224: 17 winograd-f4x4, 5 direct; 36.6 MB read, 33.2 MB of weights, in 0.4 s</c>.
    /// </summary>
    private string Summary(ModelManifest m, CompileOptions options, long checkpointBytes, string? prepared, TimeSpan elapsed)
    {
        string algorithms = string.Join(", ", m.Layers.GroupBy(layer => layer.Algorithm).Select(group => $"{group.Count()} {group.Key}"));
        return $"{toolName}: {m.Source.File} -> {m.Variant}, {m.Layers.Count} fused conv3x3 layers ({m.Source.KeyLayout} names, {m.Source.Kind}-time" +
            $"{(prepared is null ? "" : $", {prepared}")}), planned for {options.InputHeight ?? WeightsStep.DefaultInputSize} x " +
            $"{options.InputWidth ?? WeightsStep.DefaultInputSize}: {algorithms}; {checkpointBytes / 1e6:F1} MB read, " +
            $"{m.Blob.Floats * 4 / 1e6:F1} MB of weights, in {elapsed.TotalSeconds:F1} s";
    }

    /// <summary>Compiles <paramref name="checkpoint"/> and writes the fused network as an ONNX model (<see cref="OnnxExport"/>).</summary>
    /// <exception cref="CompilationException">Any error in the checkpoint or the options; RVG0031 when the output is the checkpoint.</exception>
    public CompiledModel ExportOnnx(string checkpoint, CompileOptions options, string onnxPath)
    {
        OutputPaths.Check([new(CheckpointName, checkpoint)], [new("--output", onnxPath)]);
        CompiledModel model = CompileAndWarn(checkpoint, options);
        WriteOnnx(model, onnxPath);
        return model;
    }

    /// <summary>How the output checks' messages name the checkpoint argument.</summary>
    public const string CheckpointName = "the checkpoint";

    private CompiledModel CompileAndWarn(string checkpoint, CompileOptions options)
    {
        CompiledModel model = WeightsStep.Compile(checkpoint, options, blockFused);
        foreach (CompilerDiagnostic warning in model.Warnings) log.WriteLine(warning.ToMSBuildLine());
        return model;
    }

    private void WriteOnnx(CompiledModel model, string path)
    {
        var clock = Stopwatch.StartNew();
        // Read before the file is opened, so a failure to read the checkpoint is not reported as one to write.
        TrainedNetwork network = model.Network;
        OutputFile.Write(path, "ONNX model", file => OnnxExport.Write(network, file));
        log.WriteLine($"{toolName}: wrote ONNX model {path} ({new FileInfo(path).Length / 1e6:F1} MB, opset {OnnxExport.OpsetVersion}) in {clock.Elapsed.TotalSeconds:F1} s");
    }
}
