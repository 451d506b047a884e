using ILGPU;
using ILGPU.Runtime;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// A matrix-vector product per image with a bias and an activation, <c>output[n, o] = gate(bias[o] + sum_i weight[o, i]
/// input[n, i])</c>: the classifier after pooling (<see cref="Identity"/>), and a squeeze-and-excitation's down
/// (<see cref="Relu"/>) and up (<see cref="Sigmoid"/>) 1x1 convs. One group of 64 threads per (output, image): the
/// threads stride over the inputs together, so a warp reads 32 consecutive floats of the row-major weight and of the
/// input row (coalesced), then reduce their partial sums through shared memory.
/// </summary>
internal static class DenseKernel
{
    public const int Threads = 64;

    /// <summary>The launch: one group per (output, image).</summary>
    public static KernelConfig Config(int outputs, int batch) => new(new Index2D(outputs, batch), new Index2D(Threads, 1));

    /// <param name="input">N x <paramref name="inputs"/>.</param>
    /// <param name="weight">Outputs x <paramref name="inputs"/>, row-major.</param>
    /// <param name="bias">Outputs.</param>
    /// <param name="output">N x Outputs.</param>
    /// <param name="inputs">Inputs per image.</param>
    public static void Run<TGate>(ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> output, int inputs)
        where TGate : struct, IGate
    {
        ArrayView<float> partial = SharedMemory.Allocate<float>(Threads);
        int thread = Group.IdxX;
        int row = Grid.IdxX;
        int image = Grid.IdxY;
        float sum = 0f;
        for (int i = thread; i < inputs; i += Threads)
            sum += weight[row * inputs + i] * input[image * inputs + i];
        partial[thread] = sum;
        Group.Barrier();
        for (int half = Threads / 2; half > 0; half /= 2)
        {
            if (thread < half)
                partial[thread] += partial[thread + half];
            Group.Barrier();
        }
        if (thread == 0)
            output[image * Grid.DimX + row] = default(TGate).Apply(partial[0] + bias[row]);
    }

    /// <summary>What <see cref="Run{TGate}"/> applies to each sum.</summary>
    internal interface IGate
    {
        float Apply(float value);
    }

    /// <summary>Nothing: the classifier's logits.</summary>
    internal readonly struct Identity : IGate
    {
        public float Apply(float value) => value;
    }

    /// <summary>A squeeze-and-excitation's down conv.</summary>
    internal readonly struct Relu : IGate
    {
        public float Apply(float value) => value > 0f ? value : 0f;
    }

    /// <summary>A squeeze-and-excitation's up conv.</summary>
    internal readonly struct Sigmoid : IGate
    {
        public float Apply(float value) => 1f / (1f + DeviceMath.Exp(-value));
    }
}
