using ILGPU;
using ILGPU.Runtime;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// Loads the explicitly grouped kernels with their group size as a bound (<c>.maxntid</c> in the PTX). Without it the
/// driver's compiler may give a kernel more registers than a group of that size can hold on one SM (65536), and every
/// launch would fail; with it, it keeps within them (spilling if it must). The tensor-core kernel's 512-thread groups
/// need it most: ptxas 11.8 gives them 119 registers of the 128 that fit.
/// </summary>
internal static class GroupedKernels
{
    public static Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4> LoadGroupedKernel<T1, T2, T3, T4>(
        this Accelerator accelerator, Action<T1, T2, T3, T4> kernel, int threads)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct =>
        accelerator.LoadKernel(kernel, Bound(threads));

    public static Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5> LoadGroupedKernel<T1, T2, T3, T4, T5>(
        this Accelerator accelerator, Action<T1, T2, T3, T4, T5> kernel, int threads)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct =>
        accelerator.LoadKernel(kernel, Bound(threads));

    private static KernelSpecialization Bound(int threads) => new(maxNumThreadsPerGroup: threads, minNumGroupsPerMultiprocessor: null);
}
