using Microsoft.ML.OnnxRuntime;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Onnx;
using RepVgg.Compiler.Synthetic;

namespace RepVgg.Compiler.Tests;

/// <summary>
/// The ONNX export, run by ONNX Runtime, against the compiled network (the same float32 weights,
/// so they agree to float32 rounding of the arithmetic), PyTorch's float64 logits and the
/// unfused float64 reference.
/// </summary>
public class OnnxExportTests
{
    /// <summary>Groups 2 on every second layer (one below, one straddling the kernel's 16 lanes), stride 2 at each stage's start.</summary>
    private static readonly RepVggVariant GroupedStrided = new("groups2", 16, [2, 3, 2], [16, 24, 40], 2, Classes: 5);

    [Theory]
    [MemberData(nameof(PyTorchFixtures.AllInputs), MemberType = typeof(PyTorchFixtures))]
    public void PyTorch_fixture_in_ONNX_Runtime_matches_PyTorch_and_the_compiled_network(string inputName)
    {
        PyTorchFixtures.Input input = PyTorchFixtures.LoadInput(inputName);
        CompiledModel model = WeightsStep.Compile(PyTorchFixtures.OfficialPth);
        using InferenceSession session = OnnxSession(model.Network);
        int[] shape = [input.Batch, input.Classes];

        float[] logits = Run(session, input.Images, input.Batch, input.Height, input.Width);

        NumericAssert.Close(input.Logits, logits, NumericAssert.Float32Tolerance, $"ONNX Runtime against PyTorch float64 on {inputName}", shape);
        NumericAssert.Close(CompiledNetwork.Infer(model, input.Images, input.Height, input.Width), logits, shape,
            $"ONNX Runtime against the compiled network on {inputName}");
        for (int n = 0; n < input.Batch; n++)
            Assert.Equal(input.Top5[n], NumericAssert.TopK(logits, n, input.Classes, 5));
    }

    [Fact]
    public void Grouped_strided_network_runs_at_any_size_and_batch_in_one_session()
    {
        CompiledModel model = WeightsStep.Pack(SyntheticNetwork.Create(GroupedStrided, seed: 11, new(2, 16, 16)),
            new("synthetic.pth", "", KeyLayout.Official.Name, "training"), []);
        // One session for every size and batch: the model's batch, height and width are symbolic.
        using InferenceSession session = OnnxSession(model.Network);

        foreach ((int height, int width) in new[] { (16, 16), (33, 47) })
        {
            foreach (int batch in new[] { 1, 3 })
            {
                float[] images = CompiledNetwork.RandomImages(batch, height, width, seed: (ulong)(batch * 100 + height));
                string what = $"batch {batch} at {height} x {width}";

                float[] logits = Run(session, images, batch, height, width);

                NumericAssert.Close(CompiledNetwork.Infer(model, images, height, width), logits, [batch, GroupedStrided.Classes],
                    $"ONNX Runtime against the compiled network, {what}");
                NumericAssert.Close(CompiledNetwork.Reference(model, images, height, width), logits, NumericAssert.Float32Tolerance,
                    $"ONNX Runtime against the unfused float64 reference, {what}", [batch, GroupedStrided.Classes]);
            }
        }
    }

    [Theory]
    [InlineData(SqueezePlacement.BeforeRelu, 16)]
    [InlineData(SqueezePlacement.AfterRelu, 4)]
    public void Squeeze_and_excitation_network_in_ONNX_Runtime_matches_the_reference_at_square_and_other_sizes(SqueezePlacement placement, int reduction)
    {
        // GroupedStrided's shape with a squeeze-and-excitation on every block: GlobalAveragePool, two 1x1 Convs, Sigmoid, Mul.
        var squeezed = GroupedStrided with { Squeeze = (placement, reduction) };
        CompiledModel model = WeightsStep.Pack(SyntheticNetwork.Create(squeezed, seed: 12, new(2, 16, 16)),
            new("synthetic.pth", "", KeyLayout.Official.Name, "training"), []);
        using InferenceSession session = OnnxSession(model.Network);

        foreach ((int height, int width) in new[] { (32, 32), (33, 47) })
        {
            float[] images = CompiledNetwork.RandomImages(2, height, width, seed: 7);

            float[] logits = Run(session, images, 2, height, width);

            NumericAssert.Close(CompiledNetwork.Reference(model, images, height, width), logits, NumericAssert.Float32Tolerance,
                $"ONNX Runtime against the unfused float64 reference, {placement} at {height} x {width}", [2, squeezed.Classes]);
            NumericAssert.Close(CompiledNetwork.Infer(model, images, height, width), logits, [2, squeezed.Classes],
                $"ONNX Runtime against the compiled network, {placement} at {height} x {width}");
        }
    }

    [Fact]
    public void Model_declares_IR_8_and_symbolic_batch_height_and_width()
    {
        TrainedNetwork network = WeightsStep.Compile(PyTorchFixtures.OfficialPth).Network;
        byte[] onnx = Export(network);
        using InferenceSession session = new(onnx);

        Assert.Equal(new byte[] { 0x08, (byte)OnnxExport.IrVersion }, onnx[..2]); // ModelProto field 1 (ir_version), a varint, first
        NodeMetadata input = Assert.Single(session.InputMetadata, m => m.Key == OnnxExport.InputName).Value;
        Assert.Equal([-1, 3, -1, -1], input.Dimensions);
        Assert.Equal(["batch", "", "height", "width"], input.SymbolicDimensions);
        Assert.Equal(typeof(float), input.ElementType);
        NodeMetadata output = Assert.Single(session.OutputMetadata, m => m.Key == OnnxExport.OutputName).Value;
        Assert.Equal([-1, 10], output.Dimensions);
        Assert.Equal("RepVgg.Compiler", session.ModelMetadata.ProducerName);
        Assert.Equal("RepVGG-custom", session.ModelMetadata.GraphName);
    }

    [Fact]
    public void A_fixed_input_size_is_declared_as_such()
    {
        TrainedNetwork network = WeightsStep.Compile(PyTorchFixtures.OfficialPth).Network;
        using var stream = new MemoryStream();
        OnnxExport.Write(network, stream, inputHeight: 64, inputWidth: 48);
        using InferenceSession session = new(stream.ToArray());

        Assert.Equal([-1, 3, 64, 48], session.InputMetadata[OnnxExport.InputName].Dimensions);
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxExport.Write(network, Stream.Null, inputHeight: 0));
    }

    [Fact]
    public void The_path_overload_writes_the_same_bytes_as_the_stream_overload()
    {
        TrainedNetwork network = WeightsStep.Compile(PyTorchFixtures.OfficialPth).Network;
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "nested", "tiny.onnx");

        OnnxExport.Write(network, path);

        Assert.Equal(Export(network), File.ReadAllBytes(path));
    }

    private static byte[] Export(TrainedNetwork network)
    {
        using var stream = new MemoryStream();
        OnnxExport.Write(network, stream);
        return stream.ToArray();
    }

    private static InferenceSession OnnxSession(TrainedNetwork network) => new(Export(network));

    /// <summary>Logits (N, Classes) from ONNX Runtime for an NCHW batch with 3 channels.</summary>
    private static float[] Run(InferenceSession session, float[] images, int batch, int height, int width)
    {
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(images, [batch, 3, height, width]);
        using var options = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs =
            session.Run(options, [OnnxExport.InputName], [input], [OnnxExport.OutputName]);
        Assert.Equal(batch, outputs[0].GetTensorTypeAndShape().Shape[0]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
