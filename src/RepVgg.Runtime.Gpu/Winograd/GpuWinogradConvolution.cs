using ILGPU;
using ILGPU.Runtime;
using RepVgg.Cpu;
using RepVgg.Gpu.Kernels;

namespace RepVgg.Gpu.Winograd;

/// <summary>
/// A stride-1 conv3x3 (padding 1) + bias + ReLU layer by Winograd F(2x2, 3x3) or F(4x4, 3x3) on one
/// accelerator, as three kernels queued on a stream: the input transform, the batched GEMM, the output
/// transform with bias and ReLU. One instance per engine: its kernels are compiled in the constructor (the large-tile
/// GEMM on first use) and serve every Winograd layer.
/// </summary>
/// <remarks>
/// <para>
/// Data flow for T tiles in the batch (<see cref="WinogradShape"/>), all float32 on the device:
/// </para>
/// <code>
/// input NCHW --TransformInput--> V[point][ic][T] --Multiply (U[point][icInGroup][oc])--> M[point][oc][T]
///            --TransformOutput + bias + ReLU--> output NCHW
/// </code>
/// <para>
/// V and M share the workspace (<see cref="WorkspaceFloats"/>), V first. The weights U are the layer's
/// blob weights relaid by <see cref="GpuWinogradWeights"/>; the bias is the blob's (OC floats are read).
/// </para>
/// </remarks>
internal sealed class GpuWinogradConvolution
{
    private const int MaxGridDepth = 65535;

    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, WinogradShape> _transformInput2x2;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, WinogradShape> _transformInput4x4;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, WinogradShape> _multiply;
    // Compiled on first use: a network at batch 1 never needs it.
    private readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, WinogradShape>> _multiplyLarge;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, WinogradShape> _transformOutput2x2;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, WinogradShape> _transformOutput4x4;

    /// <summary>Compiles the kernels for <paramref name="accelerator"/>.</summary>
    /// <exception cref="NotSupportedException">
    /// The accelerator's groups hold fewer than the GEMM's <see cref="WinogradGemmKernel.Threads"/> threads: ILGPU's
    /// default CPU device holds 16 (the tests simulate a GPU's 256); CUDA GPUs hold 1024.
    /// </exception>
    public GpuWinogradConvolution(Accelerator accelerator)
    {
        if (accelerator.MaxNumThreadsPerGroup < WinogradGemmKernel.Threads)
            throw new NotSupportedException(
                $"The Winograd GEMM needs {WinogradGemmKernel.Threads} threads per group; accelerator {accelerator.Name} allows {accelerator.MaxNumThreadsPerGroup}.");
        _transformInput2x2 = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, WinogradShape>(
            WinogradTransformKernels.TransformInput2x2);
        _transformInput4x4 = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, WinogradShape>(
            WinogradTransformKernels.TransformInput4x4);
        _multiply = accelerator.LoadGroupedKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, WinogradShape>(
            WinogradGemmKernel.Multiply, WinogradGemmKernel.Threads);
        _multiplyLarge = new(() => accelerator.LoadGroupedKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, WinogradShape>(
            WinogradGemmKernel.MultiplyLarge, WinogradGemmKernel.Threads, TileGemm.LargeResidentGroups));
        _transformOutput2x2 = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, WinogradShape>(
            WinogradTransformKernels.TransformOutput2x2);
        _transformOutput4x4 = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, WinogradShape>(
            WinogradTransformKernels.TransformOutput4x4);
    }

    /// <summary>
    /// Floats of workspace <see cref="Enqueue"/> needs for <paramref name="layer"/> at a batch of
    /// <paramref name="batch"/>: the transformed inputs and the products, points x (IC + OC) x tiles.
    /// </summary>
    /// <exception cref="ArgumentException">The layer is not computed by Winograd.</exception>
    public static long WorkspaceFloats(Conv3x3Layer layer, int batch)
    {
        WinogradShape shape = Shape(layer, batch);
        return shape.TransformedFloats + shape.ProductFloats;
    }

    /// <summary>
    /// Queues <paramref name="layer"/> on <paramref name="stream"/> for <paramref name="batch"/> images from
    /// <paramref name="inputNchw"/> (batch x IC x H x W) into <paramref name="outputNchw"/> (batch x OC x H x W),
    /// reading the weights <paramref name="weights"/> (<see cref="GpuWinogradWeights"/>, <see cref="GpuWinogradWeights.Length"/>
    /// floats) and <paramref name="bias"/> (at least OC floats), using <see cref="WorkspaceFloats"/> floats of
    /// <paramref name="workspace"/>, the GEMM's tile size chosen by <paramref name="tiles"/>. Nothing waits: the stream
    /// orders the three kernels.
    /// </summary>
    /// <exception cref="ArgumentException">The layer is not a stride-1 Winograd one, or a view is too short.</exception>
    public void Enqueue(AcceleratorStream stream, ArrayView<float> inputNchw, ArrayView<float> outputNchw, ArrayView<float> weights,
        ArrayView<float> bias, ArrayView<float> workspace, Conv3x3Layer layer, int batch, GemmTilePolicy tiles)
    {
        if (layer.Stride != 1)
            throw new ArgumentException($"Layer {layer.Name} has stride {layer.Stride}; Winograd computes stride 1 only.", nameof(layer));
        WinogradShape shape = Shape(layer, batch);
        long imageFloats = (long)layer.InHeight * layer.InWidth;
        CheckLength(layer, "input", inputNchw.Length, batch * layer.InChannels * imageFloats);
        CheckLength(layer, "output", outputNchw.Length, batch * layer.OutChannels * imageFloats);
        CheckLength(layer, "weights", weights.Length, GpuWinogradWeights.Length(layer));
        CheckLength(layer, "bias", bias.Length, layer.OutChannels);
        CheckLength(layer, "workspace", workspace.Length, shape.TransformedFloats + shape.ProductFloats);

        ArrayView<float> transformed = workspace.SubView(0, shape.TransformedFloats);
        ArrayView<float> products = workspace.SubView(shape.TransformedFloats, shape.ProductFloats);
        bool small = layer.Algorithm == ConvAlgorithm.Winograd2x2;
        (small ? _transformInput2x2 : _transformInput4x4)(stream, shape.InChannels * shape.Tiles, inputNchw, transformed, shape);
        if (UsesLargeTiles(shape, tiles))
            _multiplyLarge.Value(stream, WinogradGemmKernel.LargeConfig(shape), weights, transformed, products, shape);
        else
            _multiply(stream, WinogradGemmKernel.Config(shape), weights, transformed, products, shape);
        (small ? _transformOutput2x2 : _transformOutput4x4)(stream, shape.OutChannels * shape.Tiles, products, bias, outputNchw, shape);
    }

    /// <summary>Whether <see cref="Enqueue"/> runs the GEMM of <paramref name="layer"/> at <paramref name="batch"/> with large tiles.</summary>
    public static bool UsesLargeTiles(Conv3x3Layer layer, int batch, GemmTilePolicy tiles) => UsesLargeTiles(Shape(layer, batch), tiles);

    private static bool UsesLargeTiles(WinogradShape shape, GemmTilePolicy tiles) => tiles.UsesLarge(WinogradGemmKernel.LargeConfig(shape), shape.OutPerGroup);

    /// <exception cref="ArgumentException">
    /// The layer is not computed by Winograd, the batch is not positive, or the layer at that batch is past what the kernels index.
    /// </exception>
    private static WinogradShape Shape(Conv3x3Layer layer, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        (int tileSize, int points) = layer.Algorithm switch
        {
            ConvAlgorithm.Winograd2x2 => (Winograd2x2.TileSize, Winograd2x2.Points),
            ConvAlgorithm.Winograd4x4 => (Winograd4x4.TileSize, Winograd4x4.Points),
            _ => throw new ArgumentException($"Layer {layer.Name} is computed by {layer.Algorithm}, not Winograd.", nameof(layer)),
        };

        // The kernels index with int: every buffer they read or write must stay under 2^31 floats.
        long channels = Math.Max(layer.InChannels, layer.OutChannels);
        long largest = Math.Max(points * channels * WinogradShape.TileCount(layer, batch, tileSize), batch * channels * layer.InHeight * layer.InWidth);
        if (largest > int.MaxValue)
            throw new ArgumentException(
                $"Layer {layer.Name} at a batch of {batch} needs a buffer of {largest} floats; the Winograd kernels index at most {int.MaxValue}. Use a smaller batch.",
                nameof(batch));
        // The GEMM's grid is points x groups deep; CUDA allows 65535.
        if (points * layer.Groups > MaxGridDepth)
            throw new ArgumentException(
                $"Layer {layer.Name} has {layer.Groups} groups; Winograd on the GPU computes at most {MaxGridDepth / points} ({points} points per group).", nameof(layer));
        return new WinogradShape(layer, batch, tileSize, points);
    }

    private static void CheckLength(Conv3x3Layer layer, string view, long found, long needed)
    {
        if (found < needed)
            throw new ArgumentException($"Layer {layer.Name}: the {view} view holds {found} floats; it needs {needed}.", view);
    }
}
