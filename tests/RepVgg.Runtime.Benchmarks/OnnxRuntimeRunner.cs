using Microsoft.ML.OnnxRuntime;
using RepVgg.Compiler.Onnx;

namespace RepVgg.Runtime.Benchmarks;

/// <summary>
/// ONNX Runtime's CPU execution provider on the exported model, set up for a fair comparison: all
/// graph optimizations (it fuses Conv+Relu and may switch to its blocked NCHWc layout), as many
/// intra-op threads as our engine uses (one per logical core), sequential execution, and input and
/// output tensors bound once to preallocated arrays so a call allocates nothing on either side.
/// </summary>
internal sealed class OnnxRuntimeRunner : IDisposable
{
    private static readonly string[] InputNames = [OnnxExport.InputName], OutputNames = [OnnxExport.OutputName];

    private readonly SessionOptions _options;
    private readonly RunOptions _runOptions = new();
    private readonly OrtValue[] _inputs, _outputs;

    /// <param name="onnxPath">The exported model.</param>
    /// <param name="images">N x C x H x W input, read by every call.</param>
    /// <param name="logits">N x Classes output, written by every call.</param>
    /// <param name="shape">The input's NCHW shape.</param>
    /// <param name="classes">Logits per image.</param>
    /// <param name="profilePrefix">When set, ORT's profiler records every node of every run to a JSON trace with this prefix.</param>
    public OnnxRuntimeRunner(string onnxPath, float[] images, float[] logits, long[] shape, int classes, string? profilePrefix = null)
    {
        _options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = Environment.ProcessorCount,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        if (profilePrefix is not null)
        {
            _options.EnableProfiling = true;
            _options.ProfileOutputPathPrefix = profilePrefix;
        }
        Session = new InferenceSession(onnxPath, _options);
        _inputs = [OrtValue.CreateTensorValueFromMemory(images, shape)];
        _outputs = [OrtValue.CreateTensorValueFromMemory(logits, [shape[0], classes])];
    }

    /// <summary>The session, for its profiler.</summary>
    public InferenceSession Session { get; }

    /// <summary>One inference into the bound output.</summary>
    public void Run() => Session.Run(_runOptions, InputNames, _inputs, OutputNames, _outputs);

    public void Dispose()
    {
        foreach (OrtValue value in _inputs.Concat(_outputs)) value.Dispose();
        Session.Dispose();
        _runOptions.Dispose();
        _options.Dispose();
    }
}
