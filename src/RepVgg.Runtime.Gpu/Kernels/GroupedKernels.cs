using ILGPU;
using ILGPU.Runtime;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// Loads the explicitly grouped kernels with their group size as a bound (<c>.maxntid</c> in the PTX), and for the
/// large-tile GEMMs the resident groups per SM they are made for (<c>.minnctapersm</c>). Without the first the driver's
/// compiler may give a kernel more registers than a group of that size can hold on one SM (65536), and every launch
/// would fail; with it, it keeps within them. The second holds a kernel to 65536 / (threads x groups) registers, so
/// that that many groups fit an SM: left to itself, ptxas picks a register count by heuristics that flip with small
/// changes of the code (the 128 x 128 tensor-core kernel went from 74 registers to 64 with a small spill, and the
/// float32 one from 128 to 176, one group per SM, as their epilogues changed).
/// </summary>
internal static class GroupedKernels
{
    public static Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4> LoadGroupedKernel<T1, T2, T3, T4>(
        this Accelerator accelerator, Action<T1, T2, T3, T4> kernel, int threads, int? groupsPerMultiprocessor = null)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct =>
        accelerator.LoadKernel(kernel, Bound(threads, groupsPerMultiprocessor));

    public static Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5> LoadGroupedKernel<T1, T2, T3, T4, T5>(
        this Accelerator accelerator, Action<T1, T2, T3, T4, T5> kernel, int threads, int? groupsPerMultiprocessor = null)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct =>
        accelerator.LoadKernel(kernel, Bound(threads, groupsPerMultiprocessor));

    public static Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6> LoadGroupedKernel<T1, T2, T3, T4, T5, T6>(
        this Accelerator accelerator, Action<T1, T2, T3, T4, T5, T6> kernel, int threads, int? groupsPerMultiprocessor = null)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct =>
        accelerator.LoadKernel(kernel, Bound(threads, groupsPerMultiprocessor));

    /// <summary>The specialization the engine loads a kernel with; the PTX tests compile with the same.</summary>
    public static KernelSpecialization Bound(int threads, int? groupsPerMultiprocessor = null) =>
        new(maxNumThreadsPerGroup: threads, minNumGroupsPerMultiprocessor: groupsPerMultiprocessor);
}
