using ILGPU;
using ILGPU.Runtime;
using RepVgg.Gpu.TensorCores;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// The emulated mma against the fragment layouts of the PTX ISA ("Matrix Fragments for mma.m16n8k8" with .tf32, and
/// "for mma.m16n8k16 with floating point type"), restated here in the ISA's own terms (element i of a thread's
/// fragment, groupID = lane >> 2, threadID_in_group = lane % 4), not the kernel's word-row view: one warp loads a 16 x K
/// A and a K x 8 B as the ISA lays them out, multiplies, and stores D as the ISA lays it out; the result must be the
/// float64 product of the rounded inputs. The GPU runs the same fragments through <c>mma.sync</c>, so the kernel's
/// fragment loads are right on the GPU exactly when they are right here.
/// </summary>
public class MmaFragmentTests(TestAccelerator device) : IClassFixture<TestAccelerator>
{
    private const int Rows = 16, Columns = MmaFragmentKernels.Columns;

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    public void Emulated_mma_computes_the_product_of_the_ISAs_fragments(int depth)
    {
        float[] a = CompiledModels.RandomFloats(Rows * depth, seed: 31), b = CompiledModels.RandomFloats(depth * Columns, seed: 32);
        Func<float, double> round = depth == 8
            ? TensorCoreRoundingTests.Tf32Reference
            : value => (double)(System.Half)value;
        Accelerator accelerator = device.Cpu;
        using var aBuffer = accelerator.Allocate1D(a);
        using var bBuffer = accelerator.Allocate1D(b);
        using var dBuffer = accelerator.Allocate1D<float>(Rows * Columns);
        var kernel = depth == 8
            ? accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>>(MmaFragmentKernels.Tf32Kernel)
            : accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>>(MmaFragmentKernels.Fp16Kernel);

        kernel(new KernelConfig(1, 32), aBuffer.View, bBuffer.View, dBuffer.View);
        float[] d = dBuffer.GetAsArray1D();

        for (int row = 0; row < Rows; row++)
            for (int column = 0; column < Columns; column++)
            {
                double expected = 0, magnitude = 0;
                for (int k = 0; k < depth; k++)
                {
                    double product = round(a[row * depth + k]) * round(b[k * Columns + column]);
                    expected += product;
                    magnitude += Math.Abs(product);
                }
                // The products are exact in float32; only the float32 sums round.
                Assert.True(Math.Abs(d[row * Columns + column] - expected) <= depth * Math.ScaleB(1, -23) * magnitude,
                    $"D[{row}, {column}]: expected {expected}, found {d[row * Columns + column]}.");
            }
    }
}

/// <summary>The kernels of <see cref="MmaFragmentTests"/>: one warp each, fragments laid out as the PTX ISA states.</summary>
public static class MmaFragmentKernels
{
    /// <summary>Columns of B and D: the n of m16n8k*.</summary>
    public const int Columns = 8;

    /// <summary>One warp: TF32 fragments by the ISA's m16n8k8 table, one mma, D stored by the ISA's C/D table.</summary>
    public static void Tf32Kernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> d)
    {
        const int depth = 8;
        var format = default(Tf32Format<EmulatedTensorCores>);
        int lane = Group.IdxX, groupId = lane >> 2, threadInGroup = lane % 4;
        // a0: (groupID, tig), a1: (groupID + 8, tig), a2: (groupID, tig + 4), a3: (groupID + 8, tig + 4).
        uint a0 = format.Pack(a[groupId * depth + threadInGroup], 0), a1 = format.Pack(a[(groupId + 8) * depth + threadInGroup], 0);
        uint a2 = format.Pack(a[groupId * depth + threadInGroup + 4], 0), a3 = format.Pack(a[(groupId + 8) * depth + threadInGroup + 4], 0);
        // b0: (tig, groupID), b1: (tig + 4, groupID).
        uint b0 = format.Pack(b[threadInGroup * Columns + groupId], 0), b1 = format.Pack(b[(threadInGroup + 4) * Columns + groupId], 0);
        var accumulators = WarpAccumulators.Create<EmulatedTensorCores>();
        format.MultiplyAccumulate(ref accumulators, 0, a0, a1, a2, a3, b0, b1);
        StoreD(d, accumulators, groupId, threadInGroup);
    }

    /// <summary>One warp: FP16 fragments by the ISA's m16n8k16 table (two halves a register, the lower index in the low half).</summary>
    public static void Fp16Kernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> d)
    {
        const int depth = 16;
        var format = default(Fp16Format<EmulatedTensorCores>);
        int lane = Group.IdxX, groupId = lane >> 2, threadInGroup = lane % 4;
        // a_i: row groupID for i in {0, 1, 4, 5}, else groupID + 8; column tig * 2 + (i & 1), + 8 for i >= 4.
        uint a0 = format.Pack(a[groupId * depth + threadInGroup * 2], a[groupId * depth + threadInGroup * 2 + 1]);
        uint a1 = format.Pack(a[(groupId + 8) * depth + threadInGroup * 2], a[(groupId + 8) * depth + threadInGroup * 2 + 1]);
        uint a2 = format.Pack(a[groupId * depth + threadInGroup * 2 + 8], a[groupId * depth + threadInGroup * 2 + 9]);
        uint a3 = format.Pack(a[(groupId + 8) * depth + threadInGroup * 2 + 8], a[(groupId + 8) * depth + threadInGroup * 2 + 9]);
        // b_i: row tig * 2 + (i & 1), + 8 for i >= 2; column groupID.
        uint b0 = format.Pack(b[threadInGroup * 2 * Columns + groupId], b[(threadInGroup * 2 + 1) * Columns + groupId]);
        uint b1 = format.Pack(b[(threadInGroup * 2 + 8) * Columns + groupId], b[(threadInGroup * 2 + 9) * Columns + groupId]);
        var accumulators = WarpAccumulators.Create<EmulatedTensorCores>();
        format.MultiplyAccumulate(ref accumulators, 0, a0, a1, a2, a3, b0, b1);
        StoreD(d, accumulators, groupId, threadInGroup);
    }

    /// <summary>c_i: row groupID for i &lt; 2, else groupID + 8; column tig * 2 + (i &amp; 1).</summary>
    private static void StoreD(ArrayView<float> d, WarpAccumulators accumulators, int groupId, int threadInGroup)
    {
        TileResults sums = accumulators.Tile<EmulatedTensorCores>(0);
        d[groupId * Columns + threadInGroup * 2] = sums.E0;
        d[groupId * Columns + threadInGroup * 2 + 1] = sums.E1;
        d[(groupId + 8) * Columns + threadInGroup * 2] = sums.E2;
        d[(groupId + 8) * Columns + threadInGroup * 2 + 1] = sums.E3;
    }
}
