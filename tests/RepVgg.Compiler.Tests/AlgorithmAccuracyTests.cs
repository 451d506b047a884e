using RepVgg.Compiler.Architecture;
using RepVgg.Manifest;
using RepVgg.Compiler.Reference;
using RepVgg.Compiler.Synthetic;
using RepVgg.Cpu;

namespace RepVgg.Compiler.Tests;

/// <summary>
/// Every algorithm on full-size networks against the float64 unfused reference: each fused layer
/// (fed the engine's own input, so its error is its own) and the logits, within relative L2 1e-4,
/// on RepVGG-A0 and RepVGG-B1 at 224 x 224 and at an odd size, on the widest kernels this machine runs.
/// </summary>
public class AlgorithmAccuracyTests
{
    private const double Tolerance = 1e-4;

    // BatchNorm statistics calibrated on one small image: realistic scales at a fraction of the cost of 224 x 224.
    private static readonly SyntheticNetwork.Calibration Calibration = new(Images: 1, Height: 32, Width: 32);

    /// <summary>
    /// How the stride-1 layers are computed: as the weights step plans it for the size, or each algorithm in
    /// turn (direct, F(2x2), F(4x4), direct, ...), so one pass runs every algorithm on every stage's shape.
    /// </summary>
    public enum Plan { Planned, EveryAlgorithmInTurn }

    public static TheoryData<string, int, int, Plan> Cases() => new()
    {
        { "A0", 224, 224, Plan.Planned },
        { "A0", 224, 224, Plan.EveryAlgorithmInTurn },
        { "A0", 97, 131, Plan.Planned },
        { "A0", 97, 131, Plan.EveryAlgorithmInTurn },
        { "B1", 224, 224, Plan.EveryAlgorithmInTurn },
        { "B1", 61, 47, Plan.EveryAlgorithmInTurn },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_layer_and_the_logits_are_within_1e_4_of_the_float64_reference(string variant, int height, int width, Plan plan)
    {
        TrainedNetwork network = SyntheticNetwork.Create(RepVggVariant.Find(variant)!, seed: 7, Calibration);
        int stride1Layers = 0;
        CompiledModel model = WeightsStep.Pack(network, new ManifestSource("synthetic", "", "official", "training"), [], height, width,
            plan == Plan.Planned ? null : (block, _, _) => block.Stride != 1 ? ConvAlgorithm.Direct : (stride1Layers++ % 3) switch
            {
                0 => ConvAlgorithm.Direct,
                1 => ConvAlgorithm.Winograd2x2,
                _ => ConvAlgorithm.Winograd4x4,
            });
        float[] image = CompiledNetwork.RandomImages(1, height, width, seed: 11);
        NetworkLayout layout = NetworkLayouts.FromManifest(model.Manifest, height, width);
        using var engine = (CpuInferenceEngine)InferenceEngine.Create(Backend.Cpu, layout, model.ToModelWeights());
        var logits = new float[layout.Head.Classes];
        engine.BeginBatch(image, logits);

        for (int i = 0; i < layout.Layers.Count; i++)
        {
            Conv3x3Layer layer = layout.Layers[i];
            var input = new float[layer.InChannels * layer.InHeight * layer.InWidth];
            engine.CopyActivation(input);
            Activation expected = UnfusedReference.Block(network.Blocks[i],
                Activation.FromFloats(input, 1, layer.InChannels, layer.InHeight, layer.InWidth));

            engine.Conv3x3BiasRelu(layer);
            var actual = new float[expected.Data.Length];
            engine.CopyActivation(actual);
            NumericAssert.Close(expected.Data, actual, Tolerance,
                $"{variant} at {height} x {width}, {layer.Name} ({layer.InChannels} -> {layer.OutChannels}, stride {layer.Stride}, {layer.Algorithm}, {engine.KernelWidth})",
                [1, layer.OutChannels, layer.OutHeight, layer.OutWidth]);
        }

        engine.GlobalAveragePoolLinear(layout.Head, logits);
        double[] reference = UnfusedReference.Forward(network, Activation.FromFloats(image, 1, 3, height, width));
        NumericAssert.Close(reference, logits, Tolerance, $"{variant} at {height} x {width}, logits, {plan}", [1, layout.Head.Classes]);
    }
}
