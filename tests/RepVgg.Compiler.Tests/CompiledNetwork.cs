using RepVgg.Manifest;
using RepVgg.Compiler.Reference;
using RepVgg.Compiler.Synthetic;

namespace RepVgg.Compiler.Tests;

/// <summary>
/// Runs a compiled model the way a generated class does (<see cref="NetworkLayouts.Infer"/>: its blob, its
/// layers, on a backend), and the unfused float64 reference on the same images.
/// </summary>
internal static class CompiledNetwork
{
    /// <summary>Logits (N, Classes) of the fused float32 network for an NCHW batch.</summary>
    public static float[] Infer(CompiledModel model, float[] images, int height, int width, Backend backend = Backend.Cpu) =>
        NetworkLayouts.Infer(model.Manifest, model.Blob, images, height, width, backend);

    /// <summary>A deterministic NCHW batch of N(0, 1) floats with 3 channels.</summary>
    public static float[] RandomImages(int batch, int height, int width, ulong seed) =>
        new DeterministicRandom(seed).Normals(batch * 3 * height * width, 1.0).Select(v => (float)v).ToArray();

    /// <summary>Logits of the unfused float64 reference for the same batch.</summary>
    public static double[] Reference(CompiledModel model, float[] images, int height, int width) =>
        UnfusedReference.Forward(model.Network,
            Activation.FromFloats(images, images.Length / (3 * height * width), 3, height, width));
}
