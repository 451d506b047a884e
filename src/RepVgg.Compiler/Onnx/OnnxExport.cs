using System.Buffers.Binary;
using System.Runtime.InteropServices;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Fusion;
using RepVgg.Compiler.Outputs;
using static RepVgg.Compiler.Onnx.OnnxSchema;

namespace RepVgg.Compiler.Onnx;

/// <summary>
/// Writes the fused network as a standard ONNX model (IR version 8, opset 13 of the default
/// domain), so the network the build compiles also runs in ONNX Runtime, TensorRT or Triton.
/// </summary>
/// <remarks>
/// <para>
/// The graph is the plain network the generated class runs: per block a <c>Conv</c> (3x3, pads 1,
/// the block's stride and groups; weight (Out, In / Groups, 3, 3) and bias initializers) named
/// after the block (<c>stage1.0</c>), then a <c>Relu</c> (<c>stage1.0.relu</c>), with a squeeze-and-excitation
/// before or after it where the block has one (<c>GlobalAveragePool</c>, 1x1 <c>Conv</c>, <c>Relu</c>, 1x1
/// <c>Conv</c>, <c>Sigmoid</c>, <c>Mul</c>, named after the unit, <c>stage1.0.se</c>); then
/// <c>GlobalAveragePool</c>, <c>Flatten</c> and a <c>Gemm</c> (transB = 1) with the classifier's
/// (Classes, Features) weight and bias. Weights are fused with <see cref="BatchNormFolding"/> in
/// float64 and rounded to float32 exactly as the weights step rounds them for the blob.
/// </para>
/// <para>
/// Input <c>input</c> is float32 (batch, C, height, width) with symbolic batch, height and width
/// unless fixed sizes are given; output <c>logits</c> is (batch, Classes). The protobuf is
/// written by hand (<see cref="ProtobufWriter"/>) and streamed: initializers are fused one block
/// at a time while writing, so a large model is never held twice in memory.
/// </para>
/// </remarks>
public static class OnnxExport
{
    /// <summary>The ONNX IR version written (ONNX 1.10 and later read it).</summary>
    public const long IrVersion = 8;

    /// <summary>The default-domain operator set the graph uses.</summary>
    public const long OpsetVersion = 13;

    /// <summary>Name of the graph input: float32 NCHW images.</summary>
    public const string InputName = "input";

    /// <summary>Name of the graph output: float32 (batch, Classes) logits.</summary>
    public const string OutputName = "logits";

    /// <summary>The symbolic dimension names of a size that is not fixed.</summary>
    public const string BatchDimension = "batch", HeightDimension = "height", WidthDimension = "width";

    /// <summary>
    /// Writes the ONNX model of <paramref name="network"/> to <paramref name="path"/>, replacing it atomically
    /// (<see cref="AtomicFile"/>: a failed export leaves the previous model); creates its folder.
    /// </summary>
    /// <inheritdoc cref="Write(TrainedNetwork, Stream, int?, int?)"/>
    public static void Write(TrainedNetwork network, string path, int? inputHeight = null, int? inputWidth = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(path, file => Write(network, file, inputHeight, inputWidth));
    }

    /// <summary>Writes the ONNX model of <paramref name="network"/>, fused, to <paramref name="output"/>.</summary>
    /// <param name="network">The network as read from a checkpoint (training-time branches or deploy-time convs).</param>
    /// <param name="output">Where the model's bytes go; written sequentially, not closed.</param>
    /// <param name="inputHeight">A fixed input height, or null (the default) for a symbolic <c>height</c>: any size runs.</param>
    /// <param name="inputWidth">A fixed input width, or null (the default) for a symbolic <c>width</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A fixed size is not positive.</exception>
    public static void Write(TrainedNetwork network, Stream output, int? inputHeight = null, int? inputWidth = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(output);
        if (inputHeight is <= 0) throw new ArgumentOutOfRangeException(nameof(inputHeight), inputHeight, "Expected a positive height, or null for any.");
        if (inputWidth is <= 0) throw new ArgumentOutOfRangeException(nameof(inputWidth), inputWidth, "Expected a positive width, or null for any.");

        string name = RepVggVariant.Match(network)?.Name ?? "RepVGG-custom";
        List<TensorShape> initializers = InitializerShapes(network);
        ProtobufWriter graphFields = GraphFields(network, name, inputHeight, inputWidth);
        long graphLength = graphFields.Length + initializers.Sum(t => ProtobufWriter.LengthPrefixSize(Graph.Initializer, t.MessageLength) + t.MessageLength);

        var model = new ProtobufWriter(output)
            .Int64(Model.IrVersion, IrVersion)
            .String(Model.ProducerName, "RepVgg.Compiler")
            .String(Model.ProducerVersion, typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0")
            .String(Model.DocString, $"{name}: every block's training branches fused into one conv3x3 with bias (structural re-parameterization), float32.")
            .Message(Model.OpsetImport, new ProtobufWriter().String(OperatorSetId.Domain, "").Int64(OperatorSetId.Version, OpsetVersion));

        // The graph is streamed: its small fields first, then each initializer as it is fused.
        model.LengthPrefix(Model.Graph, graphLength).Append(graphFields);
        using IEnumerator<TensorShape> shapes = initializers.GetEnumerator();
        foreach (float[] values in InitializerValues(network))
        {
            shapes.MoveNext();
            TensorShape tensor = shapes.Current;
            if (values.LongLength != tensor.Count)
                throw new InvalidOperationException($"Initializer '{tensor.Name}' has {values.LongLength} values; its shape holds {tensor.Count}.");
            model.LengthPrefix(Graph.Initializer, tensor.MessageLength).Append(tensor.Header)
                .LengthPrefix(OnnxSchema.Tensor.RawData, values.LongLength * sizeof(float));
            WriteLittleEndian(values, output);
        }
    }

    /// <summary>A float32 initializer's name and dims, known before its values are fused.</summary>
    private sealed record TensorShape(string Name, long[] Dims)
    {
        public long Count => Dims.Aggregate(1L, (a, b) => a * b);

        /// <summary>Every field but raw_data.</summary>
        public ProtobufWriter Header { get; } = TensorHeader(Name, Dims);

        public long MessageLength => Header.Length + ProtobufWriter.LengthPrefixSize(OnnxSchema.Tensor.RawData, Count * sizeof(float)) + Count * sizeof(float);

        private static ProtobufWriter TensorHeader(string name, long[] dims)
        {
            var header = new ProtobufWriter();
            foreach (long dim in dims) header.Int64(OnnxSchema.Tensor.Dims, dim);
            return header.Int64(OnnxSchema.Tensor.DataType, OnnxSchema.Tensor.Float).String(OnnxSchema.Tensor.Name, name);
        }
    }

    /// <summary>Each block's weight (Out, In / Groups, 3, 3) and bias (Out), then the head's weight (Classes, Features) and bias.</summary>
    private static List<TensorShape> InitializerShapes(TrainedNetwork network)
    {
        var shapes = new List<TensorShape>();
        foreach (RepVggBlock block in network.Blocks)
        {
            shapes.Add(new TensorShape(WeightName(block.Name), [block.OutChannels, block.InChannels / block.Groups, 3, 3]));
            shapes.Add(new TensorShape(BiasName(block.Name), [block.OutChannels]));
            if (block.Squeeze is { } squeeze)
            {
                shapes.Add(new TensorShape(WeightName(DownName(squeeze)), [squeeze.InternalChannels, squeeze.Channels, 1, 1]));
                shapes.Add(new TensorShape(BiasName(DownName(squeeze)), [squeeze.InternalChannels]));
                shapes.Add(new TensorShape(WeightName(UpName(squeeze)), [squeeze.Channels, squeeze.InternalChannels, 1, 1]));
                shapes.Add(new TensorShape(BiasName(UpName(squeeze)), [squeeze.Channels]));
            }
        }
        LinearClassifier head = network.Head;
        shapes.Add(new TensorShape(WeightName(head.Name), [head.Classes, head.Features]));
        shapes.Add(new TensorShape(BiasName(head.Name), [head.Classes]));
        return shapes;
    }

    /// <summary>The values of <see cref="InitializerShapes"/>, in its order, fused one block at a time.</summary>
    private static IEnumerable<float[]> InitializerValues(TrainedNetwork network)
    {
        foreach (RepVggBlock block in network.Blocks)
        {
            FusedConv fused = BatchNormFolding.Fuse(block);
            yield return Float32.Round(fused.Weight);
            yield return Float32.Round(fused.Bias);
            if (block.Squeeze is { } squeeze)
            {
                yield return Float32.Round(squeeze.DownWeight);
                yield return Float32.Round(squeeze.DownBias);
                yield return Float32.Round(squeeze.UpWeight);
                yield return Float32.Round(squeeze.UpBias);
            }
        }
        yield return Float32.Round(network.Head.Weight);
        yield return Float32.Round(network.Head.Bias);
    }

    /// <summary>The graph's fields other than its initializers: nodes, name, inputs and outputs.</summary>
    private static ProtobufWriter GraphFields(TrainedNetwork network, string name, int? inputHeight, int? inputWidth)
    {
        var graph = new ProtobufWriter();
        string x = InputName;
        foreach (RepVggBlock block in network.Blocks)
        {
            string conv = $"{block.Name}.conv", relu = $"{block.Name}.output";
            graph.Message(Graph.Node, NodeOf("Conv", block.Name, [x, WeightName(block.Name), BiasName(block.Name)], conv,
                    $"{block.Name}: {block.InChannels} -> {block.OutChannels}, stride {block.Stride}, groups {block.Groups}, fused {string.Join("+", block.BranchNames)}")
                .Message(Node.Attribute, Ints("kernel_shape", 3, 3))
                .Message(Node.Attribute, Ints("pads", 1, 1, 1, 1))
                .Message(Node.Attribute, Ints("strides", block.Stride, block.Stride))
                .Message(Node.Attribute, Ints("dilations", 1, 1))
                .Message(Node.Attribute, Int("group", block.Groups)));
            switch (block.Squeeze)
            {
                case null:
                    graph.Message(Graph.Node, NodeOf("Relu", $"{block.Name}.relu", [conv], relu, null));
                    break;
                case { Placement: SqueezePlacement.BeforeRelu } before:
                    string scaled = AddSqueeze(graph, before, conv);
                    graph.Message(Graph.Node, NodeOf("Relu", $"{block.Name}.relu", [scaled], relu, null));
                    break;
                case var after:
                    string rectified = $"{block.Name}.relu";
                    graph.Message(Graph.Node, NodeOf("Relu", rectified, [conv], rectified, null));
                    graph.Message(Graph.Node, NodeOf("Mul", $"{after.Name}.scale", [rectified, AddGate(graph, after, rectified)], relu,
                        "the ReLU's output scaled per channel by its gate"));
                    break;
            }
            x = relu;
        }
        LinearClassifier head = network.Head;
        graph.Message(Graph.Node, NodeOf("GlobalAveragePool", "pool", [x], "pooled", $"(batch, {head.Features}, 1, 1)"));
        graph.Message(Graph.Node, NodeOf("Flatten", "flatten", ["pooled"], "features", $"(batch, {head.Features})")
            .Message(Node.Attribute, Int("axis", 1)));
        graph.Message(Graph.Node, NodeOf("Gemm", head.Name, ["features", WeightName(head.Name), BiasName(head.Name)], OutputName,
                $"{head.Features} -> {head.Classes} classes")
            .Message(Node.Attribute, Int("transB", 1)));

        graph.String(Graph.Name, name);
        graph.Message(Graph.Input, ValueInfo(InputName,
            Dim(BatchDimension), Dim(network.InputChannels), Dim(inputHeight, HeightDimension), Dim(inputWidth, WidthDimension)));
        graph.Message(Graph.Output, ValueInfo(OutputName, Dim(BatchDimension), Dim(head.Classes)));
        return graph;
    }

    /// <summary>
    /// A squeeze-and-excitation before the ReLU on <paramref name="input"/>: the input scaled per channel by its gate
    /// (<see cref="AddGate"/>). Returns the scaled tensor's name.
    /// </summary>
    private static string AddSqueeze(ProtobufWriter graph, SqueezeExcitation squeeze, string input)
    {
        string scaled = $"{squeeze.Name}.output";
        graph.Message(Graph.Node, NodeOf("Mul", $"{squeeze.Name}.scale", [input, AddGate(graph, squeeze, input)], scaled,
            "the conv's output scaled per channel by its gate"));
        return scaled;
    }

    /// <summary>
    /// The gate of a squeeze-and-excitation on <paramref name="input"/>, (batch, C, 1, 1): GlobalAveragePool (the whole
    /// map, as the compiled network pools), the down 1x1 Conv, Relu, the up 1x1 Conv, Sigmoid. Returns its name.
    /// </summary>
    private static string AddGate(ProtobufWriter graph, SqueezeExcitation squeeze, string input)
    {
        string pooled = $"{squeeze.Name}.pooled", down = DownName(squeeze), up = UpName(squeeze), gate = $"{squeeze.Name}.gate";
        graph.Message(Graph.Node, NodeOf("GlobalAveragePool", $"{squeeze.Name}.pool", [input], pooled, $"(batch, {squeeze.Channels}, 1, 1)"));
        graph.Message(Graph.Node, NodeOf("Conv", down, [pooled, WeightName(down), BiasName(down)], down, $"{squeeze.Channels} -> {squeeze.InternalChannels}")
            .Message(Node.Attribute, Ints("kernel_shape", 1, 1)));
        graph.Message(Graph.Node, NodeOf("Relu", $"{down}.relu", [down], $"{down}.relu", null));
        graph.Message(Graph.Node, NodeOf("Conv", up, [$"{down}.relu", WeightName(up), BiasName(up)], up, $"{squeeze.InternalChannels} -> {squeeze.Channels}")
            .Message(Node.Attribute, Ints("kernel_shape", 1, 1)));
        graph.Message(Graph.Node, NodeOf("Sigmoid", gate, [up], gate, null));
        return gate;
    }

    private static string DownName(SqueezeExcitation squeeze) => $"{squeeze.Name}.down";

    private static string UpName(SqueezeExcitation squeeze) => $"{squeeze.Name}.up";

    private static string WeightName(string layer) => $"{layer}.weight";

    private static string BiasName(string layer) => $"{layer}.bias";

    private static ProtobufWriter NodeOf(string opType, string name, string[] inputs, string output, string? doc)
    {
        var node = new ProtobufWriter();
        foreach (string input in inputs) node.String(Node.Input, input);
        node.String(Node.Output, output).String(Node.Name, name).String(Node.OpType, opType);
        if (doc is not null) node.String(Node.DocString, doc);
        return node;
    }

    private static ProtobufWriter Int(string name, long value) =>
        new ProtobufWriter().String(AttributeProto.Name, name).Int64(AttributeProto.Type, AttributeProto.TypeInt).Int64(AttributeProto.I, value);

    private static ProtobufWriter Ints(string name, params long[] values)
    {
        var attribute = new ProtobufWriter().String(AttributeProto.Name, name).Int64(AttributeProto.Type, AttributeProto.TypeInts);
        foreach (long value in values) attribute.Int64(AttributeProto.Ints, value); // unpacked, proto2's default encoding
        return attribute;
    }

    /// <summary>A float32 tensor value info with the given dims.</summary>
    private static ProtobufWriter ValueInfo(string name, params ProtobufWriter[] dims)
    {
        var shape = new ProtobufWriter();
        foreach (ProtobufWriter dim in dims) shape.Message(OnnxSchema.Shape.Dim, dim);
        var tensorType = new ProtobufWriter().Int64(OnnxSchema.TypeProto.TensorElemType, OnnxSchema.Tensor.Float).Message(OnnxSchema.TypeProto.TensorShape, shape);
        return new ProtobufWriter().String(OnnxSchema.ValueInfo.Name, name)
            .Message(OnnxSchema.ValueInfo.Type, new ProtobufWriter().Message(OnnxSchema.TypeProto.TensorType, tensorType));
    }

    private static ProtobufWriter Dim(long value) => new ProtobufWriter().Int64(OnnxSchema.Shape.DimValue, value);

    private static ProtobufWriter Dim(string symbol) => new ProtobufWriter().String(OnnxSchema.Shape.DimParam, symbol);

    private static ProtobufWriter Dim(int? value, string symbol) => value is { } fixedValue ? Dim(fixedValue) : Dim(symbol);

    /// <summary>Float32 values as ONNX's raw_data stores them: little-endian, whatever this machine's byte order.</summary>
    private static void WriteLittleEndian(float[] values, Stream output)
    {
        if (BitConverter.IsLittleEndian)
        {
            output.Write(MemoryMarshal.AsBytes(values.AsSpan()));
            return;
        }
        Span<byte> bytes = stackalloc byte[sizeof(float)];
        foreach (float value in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
            output.Write(bytes);
        }
    }
}
