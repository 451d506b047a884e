using System.Collections.Concurrent;
using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;

namespace RepVgg.Runtime.Gpu.Ptx.Tests;

/// <summary>
/// Compiles a kernel with ILGPU's PTX backend for sm_80, as a CUDA accelerator does (no GPU is needed to compile),
/// so tests can check what the GPU gets: no local memory (register spills, or accumulators ILGPU could not keep in
/// registers), the shared-memory slices, the barriers.
/// </summary>
internal static class PtxCompilation
{
    /// <summary>A kernel by its class and name, a generic one with <paramref name="typeArguments"/>.</summary>
    public static MethodInfo Kernel(Type type, string name, params Type[] typeArguments)
    {
        MethodInfo method = type.GetMethod(name, BindingFlags.Public | BindingFlags.Static) ?? throw new MissingMethodException(type.Name, name);
        return typeArguments.Length == 0 ? method : method.MakeGenericMethod(typeArguments);
    }

    /// <summary>An explicitly grouped kernel (the engine fixes its group size), by its class and name (and type arguments).</summary>
    public static EntryPointDescription Explicit(Type type, string name, params Type[] typeArguments) =>
        EntryPointDescription.FromExplicitlyGroupedKernel(Kernel(type, name, typeArguments));

    /// <summary>An implicitly grouped kernel (ILGPU picks its group size), by its class and name (and type arguments).</summary>
    public static EntryPointDescription Implicit(Type type, string name, params Type[] typeArguments) =>
        EntryPointDescription.FromImplicitlyGroupedKernel(Kernel(type, name, typeArguments));

    /// <summary>
    /// The engine's tensor-core conv kernel in <typeparamref name="TFormat"/>, reading channels as <typeparamref name="TReads"/>
    /// says, with small (64 x 64) or <paramref name="large"/> (128 x 128) tiles, as a CUDA accelerator loads it (PTX mma)
    /// with the activations the engine keeps for the format: TF32-rounded float32 channels last in TF32, half precision in FP16.
    /// </summary>
    public static EntryPointDescription TensorCoreKernel<TFormat, TReads>(bool large = false)
        where TFormat : struct, ITensorCoreFormat
        where TReads : struct, IChannelReads =>
        Explicit(typeof(Conv3x3MmaKernel), large ? nameof(Conv3x3MmaKernel.RunLarge) : nameof(Conv3x3MmaKernel.Run), typeof(TFormat), typeof(PtxTensorCores),
            default(TFormat).ValuesPerWord == 1 ? typeof(NhwcTf32) : typeof(NhwcHalf<PtxTensorCores>), typeof(TReads), typeof(RegisterCopies));

    /// <summary>
    /// The PTX of the engine's kernel <paramref name="kernel"/> (<see cref="EngineKernels.All"/>), with the bounds the engine
    /// loads it with: compiled once per test run, however many tests read it (a tensor-core kernel takes ILGPU tens of seconds).
    /// </summary>
    public static string Of(string kernel) =>
        CompiledPtx.GetOrAdd(kernel, name => new Lazy<string>(() =>
        {
            var (entry, threads, groups) = EngineKernels.All[name];
            return Compile(entry(), threads, groups);
        })).Value;

    private static readonly ConcurrentDictionary<string, Lazy<string>> CompiledPtx = new();

    /// <summary>The PTX of <paramref name="entry"/>, for groups of at most <paramref name="threads"/> threads where the engine loads it so.</summary>
    public static string Compile(EntryPointDescription entry, int? threads = null, int? groupsPerMultiprocessor = null)
    {
        string ptx;
        using (Context context = Context.Create(builder => builder.Default()))
        using (var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_80), CudaArchitecture.SM_80,
            CudaInstructionSet.ISA_70, nvvmAPI: null))
        {
            // As the engine loads it: GroupedKernels' bounds for an explicitly grouped kernel, none for an implicitly grouped one.
            KernelSpecialization specialization = threads is { } groupThreads ? GroupedKernels.Bound(groupThreads, groupsPerMultiprocessor) : default;
            ptx = ((PTXCompiledKernel)backend.Compile(entry, specialization)).PTXAssembly;
            context.ClearCache(ClearCacheMode.Everything);
        }
        // A tensor-core kernel's IR takes gigabytes; hand it back before the next compile rather than at the GC's pace,
        // which let the test host's peak climb past 6 GB.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return ptx;
    }

    public static int CountOf(string text, string value)
    {
        int count = 0;
        for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
