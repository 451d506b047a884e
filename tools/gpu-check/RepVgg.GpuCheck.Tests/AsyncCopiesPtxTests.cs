using RepVgg.Gpu.Kernels;
using RepVgg.Gpu.TensorCores;
using RepVgg.GpuCheck.Candidates;
using RepVgg.Runtime.Gpu.Ptx.Tests;

namespace RepVgg.GpuCheck.Tests;

/// <summary>
/// <see cref="AsyncCopies"/> as a CUDA GPU gets it, in its tightest instantiation: FP16 with 128 x 128 tiles, 3 slices
/// (48 KB of shared memory, the most a group may declare statically) at 128 registers (2 resident groups of 256
/// threads). The PTX copies straight into shared memory and ptxas assembles it for sm_80 and sm_90 without spills,
/// as the hardware's global-to-shared copies.
/// </summary>
public sealed class AsyncCopiesPtxTests : IDisposable
{
    private static readonly Lazy<string> Ptx = new(() => PtxCompilation.Compile(
        PtxCompilation.Explicit(typeof(Conv3x3MmaKernel), nameof(Conv3x3MmaKernel.RunLarge), typeof(Fp16Format<PtxTensorCores>), typeof(PtxTensorCores),
            typeof(NhwcHalf<PtxTensorCores>), typeof(VectorReads), typeof(AsyncCopies)),
        Conv3x3MmaKernel.LargeThreads, Conv3x3MmaKernel.LargeResidentGroups));

    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Copies_go_straight_into_a_ring_of_three_slices()
    {
        string ptx = Ptx.Value;

        // Per step a thread copies two 16-byte lanes of W (bypassing L1) and two lines of X (through it, zero-filled
        // outside the image): steps 0 and 1 before the loop, one in it. One group of copies a step, all but the last
        // waited for before the loop's barrier, and all once more before the kernel ends; no store to shared memory.
        Assert.Equal(2 * 3, PtxCompilation.CountOf(ptx, "cp.async.cg.shared.global"));
        Assert.Equal(2 * 3, PtxCompilation.CountOf(ptx, "cp.async.ca.shared.global"));
        Assert.Equal(3, PtxCompilation.CountOf(ptx, "cp.async.commit_group;"));
        Assert.Equal(1, PtxCompilation.CountOf(ptx, "cp.async.wait_group 1;"));
        Assert.Equal(1, PtxCompilation.CountOf(ptx, "cp.async.wait_group 0;"));
        Assert.DoesNotContain("st.shared", ptx);
        Assert.DoesNotContain("ld.v4.b32", ptx);
        Assert.Contains($".shared .align 16 .b8 __shared_alloca0[{3 * (128 / 16 * 64 + 4 * 128) * 16}];", ptx);
        // The engine's mma: 2 x 16 a step on the 64 accumulators.
        Assert.Equal(32, PtxCompilation.CountOf(ptx, "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32"));
    }

    [PtxasTheory]
    [InlineData("sm_80")]
    [InlineData("sm_90")]
    public void Assembles_without_spills_within_two_groups_per_SM(string architecture)
    {
        Ptxas.Report report = Ptxas.Assemble(Ptx.Value, architecture, _folder.Path);

        Assert.True(report.SpillStoreBytes == 0 && report.SpillLoadBytes == 0, $"spills on {architecture}: {report}.");
        Assert.True(report.Registers * Conv3x3MmaKernel.LargeThreads * Conv3x3MmaKernel.LargeResidentGroups <= 65536, $"{report.Registers} registers on {architecture}.");
        if (architecture == "sm_90")
            // 4 hardware copies (LDGSTS) a thread and step, two steps before the loop and one in it.
            Assert.Equal(4 * 3, PtxCompilation.CountOf(Ptxas.Disassemble(report.Cubin), "LDGSTS"));
    }
}
