using ILGPU;
using ILGPU.Runtime;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// The classifier, <c>logits[n, c] = bias[c] + sum_f W[c, f] pooled[n, f]</c>: one group of 64 threads per
/// (class, image). The threads stride over the features together, so a warp reads 32 consecutive floats of
/// the row-major (Classes, Features) weight and of the pooled row (coalesced), then reduce their partial
/// sums through shared memory.
/// </summary>
internal static class LinearHeadKernel
{
    public const int Threads = 64;

    /// <summary>The launch: one group per (class, image).</summary>
    public static KernelConfig Config(int classes, int batch) => new(new Index2D(classes, batch), new Index2D(Threads, 1));

    /// <param name="pooled">N x Features.</param>
    /// <param name="weight">Classes x Features, row-major.</param>
    /// <param name="bias">Classes.</param>
    /// <param name="logits">N x Classes.</param>
    /// <param name="features">Features.</param>
    public static void Run(ArrayView<float> pooled, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> logits, int features)
    {
        ArrayView<float> partial = SharedMemory.Allocate<float>(Threads);
        int thread = Group.IdxX;
        int classIndex = Grid.IdxX;
        int image = Grid.IdxY;
        float sum = 0f;
        for (int f = thread; f < features; f += Threads)
            sum += weight[classIndex * features + f] * pooled[image * features + f];
        partial[thread] = sum;
        Group.Barrier();
        for (int half = Threads / 2; half > 0; half /= 2)
        {
            if (thread < half)
                partial[thread] += partial[thread + half];
            Group.Barrier();
        }
        if (thread == 0)
            logits[image * Grid.DimX + classIndex] = partial[0] + bias[classIndex];
    }
}
