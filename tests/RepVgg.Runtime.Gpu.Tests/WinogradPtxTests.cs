using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using RepVgg.Gpu.Winograd;

namespace RepVgg.Runtime.Gpu.Tests;

/// <summary>
/// The Winograd kernels compiled by ILGPU's PTX backend for sm_80, as a CUDA accelerator compiles them (no GPU
/// is needed to compile): the CPU accelerator's tests run the same kernels, this checks what the GPU gets.
/// </summary>
public sealed class WinogradPtxTests
{
    public static TheoryData<string> TransformKernels =>
    [
        nameof(WinogradTransformKernels.TransformInput2x2), nameof(WinogradTransformKernels.TransformInput4x4),
        nameof(WinogradTransformKernels.TransformOutput2x2), nameof(WinogradTransformKernels.TransformOutput4x4),
    ];

    [Theory]
    [MemberData(nameof(TransformKernels))]
    public void TransformsKeepTheirTilesInRegisters(string kernel)
    {
        string ptx = CompileToPtx(EntryPointDescription.FromImplicitlyGroupedKernel(Kernel(typeof(WinogradTransformKernels), kernel)));

        // The Line structs' elements are named one by one so that no tile lands in local memory.
        Assert.DoesNotContain(".local", ptx);
    }

    [Fact]
    public void GemmStagesItsSlicesInSharedMemory()
    {
        string ptx = CompileToPtx(EntryPointDescription.FromExplicitlyGroupedKernel(Kernel(typeof(WinogradGemmKernel), nameof(WinogradGemmKernel.Multiply))));

        int sliceBytes = WinogradGemmKernel.TileK * WinogradGemmKernel.TileM * sizeof(float);
        Assert.Equal(2, CountOf(ptx, $".shared .align 4 .b8 __shared_alloca"));
        Assert.Contains($"[{sliceBytes}];", ptx);
        Assert.Equal(2, CountOf(ptx, "bar.sync"));
        Assert.Contains("ld.shared.f32", ptx);
        Assert.DoesNotContain(".local", ptx);
    }

    private static MethodInfo Kernel(Type type, string name) =>
        type.GetMethod(name, BindingFlags.Public | BindingFlags.Static) ?? throw new MissingMethodException(type.Name, name);

    private static string CompileToPtx(EntryPointDescription entry)
    {
        using Context context = Context.Create(builder => builder.Default());
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_80), CudaArchitecture.SM_80,
            CudaInstructionSet.ISA_70, nvvmAPI: null);
        var specialization = KernelSpecialization.Empty;
        return ((PTXCompiledKernel)backend.Compile(entry, specialization)).PTXAssembly;
    }

    private static int CountOf(string text, string value)
    {
        int count = 0;
        for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
