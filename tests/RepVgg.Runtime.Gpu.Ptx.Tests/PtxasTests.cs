using ILGPU.Backends.EntryPoints;
using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;
using RepVgg.Gpu.Winograd;

namespace RepVgg.Runtime.Gpu.Ptx.Tests;

/// <summary>
/// Every kernel of the GPU engine as ILGPU writes its PTX, assembled by NVIDIA's ptxas for Ampere (sm_80, the oldest
/// GPU the tensor-core kernels run on) and Hopper (sm_90, the H100 and H200): the driver accepts it, nothing spills
/// to local memory, and an explicitly grouped kernel's registers fit its group on one SM (65536 registers), or its
/// launch would fail on the GPU. The tensor-core kernels must come out as tensor-core instructions.
/// </summary>
public sealed class PtxasTests : IDisposable
{
    private const int RegistersPerSm = 65536;
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static readonly Conv3x3Layer Stem = new("stem", 3, 64, 1, 2, 224, 224, 0, 0);

    /// <summary>
    /// Each kernel, its entry point, its threads per group where the engine fixes them (null: ILGPU picks), and the
    /// resident groups per SM it is compiled for where the engine asks for some (null: one).
    /// </summary>
    private static readonly Dictionary<string, (Func<EntryPointDescription> Entry, int? Threads, int? Groups)> Kernels = new()
    {
        ["implicit-gemm"] = (() => PtxCompilation.Explicit(typeof(Conv3x3GemmKernel), nameof(Conv3x3GemmKernel.Run)), Conv3x3GemmKernel.Threads, null),
        ["implicit-gemm large tiles"] = (() => PtxCompilation.Explicit(typeof(Conv3x3GemmKernel), nameof(Conv3x3GemmKernel.RunLarge)), Conv3x3GemmKernel.Threads, TileGemm.LargeResidentGroups),
        ["implicit-gemm-mma TF32"] = (() => PtxCompilation.TensorCoreKernel<Tf32Format<PtxTensorCores>, VectorReads>(), Conv3x3MmaKernel.Threads, null),
        ["implicit-gemm-mma FP16"] = (() => PtxCompilation.TensorCoreKernel<Fp16Format<PtxTensorCores>, VectorReads>(), Conv3x3MmaKernel.Threads, null),
        ["implicit-gemm-mma TF32 large tiles"] = (() => PtxCompilation.TensorCoreKernel<Tf32Format<PtxTensorCores>, VectorReads>(GemmTileSize.Large), Conv3x3MmaKernel.LargeThreads, Conv3x3MmaKernel.LargeResidentGroups),
        ["implicit-gemm-mma FP16 large tiles"] = (() => PtxCompilation.TensorCoreKernel<Fp16Format<PtxTensorCores>, VectorReads>(GemmTileSize.Large), Conv3x3MmaKernel.LargeThreads, Conv3x3MmaKernel.LargeResidentGroups),
        ["implicit-gemm-mma TF32 async copies"] = (() => PtxCompilation.TensorCoreKernel<Tf32Format<PtxTensorCores>, VectorReads>(staging: TensorCoreStaging.AsyncCopies), Conv3x3MmaKernel.Threads, null),
        ["implicit-gemm-mma FP16 large tiles async copies"] = (() => PtxCompilation.TensorCoreKernel<Fp16Format<PtxTensorCores>, VectorReads>(GemmTileSize.Large, staging: TensorCoreStaging.AsyncCopies), Conv3x3MmaKernel.LargeThreads, Conv3x3MmaKernel.LargeResidentGroups),
        ["implicit-gemm-mma FP16 wide warps async copies"] = (() => PtxCompilation.TensorCoreKernel<Fp16Format<PtxTensorCores>, VectorReads>(GemmTileSize.LargeWideWarps, TensorCoreStaging.AsyncCopies), Conv3x3MmaKernel.WideThreads, Conv3x3MmaKernel.LargeResidentGroups),
        ["implicit-gemm-mma TF32 scalar reads"] = (() => PtxCompilation.TensorCoreKernel<Tf32Format<PtxTensorCores>, ScalarReads>(), Conv3x3MmaKernel.Threads, null),
        ["implicit-gemm-mma FP16 scalar reads"] = (() => PtxCompilation.TensorCoreKernel<Fp16Format<PtxTensorCores>, ScalarReads>(), Conv3x3MmaKernel.Threads, null),
        ["implicit-gemm-mma TF32 large tiles scalar reads"] = (() => PtxCompilation.TensorCoreKernel<Tf32Format<PtxTensorCores>, ScalarReads>(GemmTileSize.Large), Conv3x3MmaKernel.LargeThreads, Conv3x3MmaKernel.LargeResidentGroups),
        ["implicit-gemm-mma FP16 large tiles scalar reads"] = (() => PtxCompilation.TensorCoreKernel<Fp16Format<PtxTensorCores>, ScalarReads>(GemmTileSize.Large), Conv3x3MmaKernel.LargeThreads, Conv3x3MmaKernel.LargeResidentGroups),
        ["stem-direct"] = (() => PtxCompilation.Explicit(typeof(StemConv3x3Kernel), nameof(StemConv3x3Kernel.Run), typeof(Nchw)), StemConv3x3Kernel.Config(new ConvShape(Stem, 1)).GroupDim.Size, null),
        ["stem-direct channels last"] = (() => PtxCompilation.Explicit(typeof(StemConv3x3Kernel), nameof(StemConv3x3Kernel.Run), typeof(NhwcTf32)), StemConv3x3Kernel.Config(new ConvShape(Stem, 1)).GroupDim.Size, null),
        ["stem-direct channels last half"] = (() => PtxCompilation.Explicit(typeof(StemConv3x3Kernel), nameof(StemConv3x3Kernel.Run), typeof(NhwcHalf<PtxTensorCores>)), StemConv3x3Kernel.Config(new ConvShape(Stem, 1)).GroupDim.Size, null),
        ["winograd gemm"] = (() => PtxCompilation.Explicit(typeof(WinogradGemmKernel), nameof(WinogradGemmKernel.Multiply)), WinogradGemmKernel.Threads, null),
        ["winograd gemm large tiles"] = (() => PtxCompilation.Explicit(typeof(WinogradGemmKernel), nameof(WinogradGemmKernel.MultiplyLarge)), WinogradGemmKernel.Threads, TileGemm.LargeResidentGroups),
        ["winograd input 2x2"] = (() => PtxCompilation.Implicit(typeof(WinogradTransformKernels), nameof(WinogradTransformKernels.TransformInput2x2)), null, null),
        ["winograd input 4x4"] = (() => PtxCompilation.Implicit(typeof(WinogradTransformKernels), nameof(WinogradTransformKernels.TransformInput4x4)), null, null),
        ["winograd output 2x2"] = (() => PtxCompilation.Implicit(typeof(WinogradTransformKernels), nameof(WinogradTransformKernels.TransformOutput2x2)), null, null),
        ["winograd output 4x4"] = (() => PtxCompilation.Implicit(typeof(WinogradTransformKernels), nameof(WinogradTransformKernels.TransformOutput4x4)), null, null),
        ["global average pool"] = (() => PtxCompilation.Implicit(typeof(GlobalAveragePoolKernel), nameof(GlobalAveragePoolKernel.Run), typeof(Nchw)), null, null),
        ["global average pool channels last"] = (() => PtxCompilation.Implicit(typeof(GlobalAveragePoolKernel), nameof(GlobalAveragePoolKernel.Run), typeof(NhwcTf32)), null, null),
        ["global average pool channels last half"] = (() => PtxCompilation.Implicit(typeof(GlobalAveragePoolKernel), nameof(GlobalAveragePoolKernel.Run), typeof(NhwcHalf<PtxTensorCores>)), null, null),
        ["to channels last"] = (() => PtxCompilation.Implicit(typeof(ActivationTransposeKernel), nameof(ActivationTransposeKernel.ToChannelsLast), typeof(NhwcTf32)), null, null),
        ["to channels first"] = (() => PtxCompilation.Implicit(typeof(ActivationTransposeKernel), nameof(ActivationTransposeKernel.ToChannelsFirst), typeof(NhwcTf32)), null, null),
        ["to channels last half"] = (() => PtxCompilation.Implicit(typeof(ActivationTransposeKernel), nameof(ActivationTransposeKernel.ToChannelsLast), typeof(NhwcHalf<PtxTensorCores>)), null, null),
        ["to channels first half"] = (() => PtxCompilation.Implicit(typeof(ActivationTransposeKernel), nameof(ActivationTransposeKernel.ToChannelsFirst), typeof(NhwcHalf<PtxTensorCores>)), null, null),
        ["linear head"] = (() => PtxCompilation.Explicit(typeof(LinearHeadKernel), nameof(LinearHeadKernel.Run)), LinearHeadKernel.Config(10, 1).GroupDim.Size, null),
    };

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string kernel in Kernels.Keys)
            foreach (string architecture in new[] { "sm_80", "sm_90" })
                data.Add(kernel, architecture);
        return data;
    }

    [PtxasTheory]
    [MemberData(nameof(Cases))]
    public void Kernel_assembles_without_spills_and_fits_its_group(string kernel, string architecture)
    {
        var (entry, threads, groups) = Kernels[kernel];

        // With the bounds the engine loads it with (GroupedKernels), as the driver compiles it.
        Ptxas.Report report = Ptxas.Assemble(PtxCompilation.Compile(entry(), threads, groups), architecture, _folder.Path);

        Assert.True(report.SpillStoreBytes == 0 && report.SpillLoadBytes == 0, $"{kernel} on {architecture} spills: {report}.");
        // The tensor-core kernels copy their results (32 with small tiles, 64 with large, 128 with wide warps) out of the
        // mma registers through ILGPU's output arguments (Output<float>), which ILGPU gives local memory: 4 bytes each, once per kernel.
        int results = kernel.Contains("wide warps", StringComparison.Ordinal) ? 128 : kernel.Contains("large tiles", StringComparison.Ordinal) ? 64 : 32;
        int allowedStack = kernel.StartsWith("implicit-gemm-mma", StringComparison.Ordinal) ? results * sizeof(float) : 0;
        Assert.True(report.StackFrameBytes <= allowedStack, $"{kernel} on {architecture} keeps a {report.StackFrameBytes}-byte stack frame; at most {allowedStack} expected.");
        if (threads is { } groupThreads)
            Assert.True(report.Registers * groupThreads * (groups ?? 1) <= RegistersPerSm,
                $"{kernel} on {architecture}: {report.Registers} registers x {groupThreads} threads x {groups ?? 1} groups exceed an SM's {RegistersPerSm}.");
    }

    [PtxasTheory]
    [InlineData("TF32", "HMMA.1688.F32.TF32")]
    [InlineData("FP16", "HMMA.16816.F32")]
    [InlineData("TF32 large tiles", "HMMA.1688.F32.TF32")]
    [InlineData("FP16 large tiles", "HMMA.16816.F32")]
    [InlineData("TF32 async copies", "HMMA.1688.F32.TF32")]
    [InlineData("FP16 large tiles async copies", "HMMA.16816.F32")]
    [InlineData("FP16 wide warps async copies", "HMMA.16816.F32")]
    public void Tensor_core_kernel_runs_on_tensor_cores(string format, string instruction)
    {
        var (entry, threads, groups) = Kernels[$"implicit-gemm-mma {format}"];

        string machineCode = Ptxas.Disassemble(Ptxas.Assemble(PtxCompilation.Compile(entry(), threads, groups), "sm_90", _folder.Path).Cubin);

        // 2 x 8 mma a staged step with small tiles, 2 x 16 with large ones, 2 x 32 with wide warps, the step's two word
        // blocks written out.
        int mma = format.Contains("wide", StringComparison.Ordinal) ? 64 : format.Contains("large", StringComparison.Ordinal) ? 32 : 16;
        Assert.Equal(mma, PtxCompilation.CountOf(machineCode, instruction));
        Assert.Equal(mma, PtxCompilation.CountOf(machineCode, "HMMA"));
        // Asynchronous copies are the hardware's global-to-shared copies (LDGSTS), 16 bytes each: 4 a thread and step (8
        // with wide warps, whose groups have half the threads), two steps before the loop and one in it; staging through
        // registers has none.
        int perStep = format.Contains("wide", StringComparison.Ordinal) ? 8 : 4;
        int copies = format.EndsWith("async copies", StringComparison.Ordinal) ? perStep * 3 : 0;
        Assert.Equal(copies, PtxCompilation.CountOf(machineCode, "LDGSTS"));
    }
}
