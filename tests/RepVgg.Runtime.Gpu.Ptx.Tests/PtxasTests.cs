using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;

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

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string kernel in EngineKernels.All.Keys)
            foreach (string architecture in new[] { "sm_80", "sm_90" })
                data.Add(kernel, architecture);
        return data;
    }

    [PtxasTheory]
    [MemberData(nameof(Cases))]
    public void Kernel_assembles_without_spills_and_fits_its_group(string kernel, string architecture)
    {
        // With the bounds the engine loads it with (GroupedKernels), as the driver compiles it.
        Ptxas.Report report = Ptxas.Assemble(PtxCompilation.Of(kernel), architecture, _folder.Path);
        int? threads = EngineKernels.All[kernel].Threads, groups = EngineKernels.All[kernel].Groups;

        Assert.True(report.SpillStoreBytes == 0 && report.SpillLoadBytes == 0, $"{kernel} on {architecture} spills: {report}.");
        // The tensor-core kernels copy their results (32 with small tiles, 64 with large) out of the mma registers through
        // ILGPU's output arguments (Output<float>), which ILGPU gives local memory: 4 bytes each, once per kernel.
        int results = kernel.Contains("large tiles", StringComparison.Ordinal) ? 64 : 32;
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
    public void Tensor_core_kernel_runs_on_tensor_cores(string format, string instruction)
    {
        string machineCode = Ptxas.Disassemble(Ptxas.Assemble(PtxCompilation.Of($"implicit-gemm-mma {format}"), "sm_90", _folder.Path).Cubin);

        // 2 x 8 mma a staged step with small tiles, 2 x 16 with large ones, the step's two word blocks written out.
        int mma = format.Contains("large", StringComparison.Ordinal) ? 32 : 16;
        Assert.Equal(mma, PtxCompilation.CountOf(machineCode, instruction));
        Assert.Equal(mma, PtxCompilation.CountOf(machineCode, "HMMA"));
        // Staged through registers: no global-to-shared copies (LDGSTS).
        Assert.Equal(0, PtxCompilation.CountOf(machineCode, "LDGSTS"));
    }
}
