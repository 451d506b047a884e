using RepVgg.Gpu.Kernels;

namespace RepVgg.Gpu;

/// <summary>
/// A test hook, never used for inference: the engine's kernel choices overridden, for the tests and for the GPU check's
/// comparisons (tools/gpu-check, which sees the backend's internals). An engine created while a scope from
/// <see cref="Apply"/> is open on the creating code's async flow takes its overrides; every other engine takes
/// <see cref="None"/>: its GEMM tiles chosen per layer (<see cref="GemmTilePolicy"/>), the weights step's algorithm plan,
/// and its own tensor-core kernels. Ambient rather than a parameter, so that the factories, the
/// engine's constructor and the kernels it loads have one signature, the one inference uses.
/// </summary>
/// <param name="Tiles">The GEMMs' tile size: <see cref="GemmTileSize.Auto"/> (per layer) or fixed.</param>
/// <param name="AllDirect">Every layer as a direct implicit GEMM, Winograd layers too (on their untransformed weights).</param>
/// <param name="VectorReadsGemm">
/// The tensor-core GEMM for layers whose channels are read as vectors, in place of the engine's (a GPU check candidate);
/// null for the engine's.
/// </param>
internal sealed record KernelOverrides(GemmTileSize Tiles = GemmTileSize.Auto, bool AllDirect = false, ITensorCoreGemmSource? VectorReadsGemm = null)
{
    private static readonly AsyncLocal<KernelOverrides?> s_current = new();

    /// <summary>What the engine does by itself.</summary>
    public static KernelOverrides None { get; } = new();

    /// <summary>The overrides an engine created now takes: the innermost open scope's, or <see cref="None"/>.</summary>
    public static KernelOverrides Current => s_current.Value ?? None;

    /// <summary>Engines created until the returned scope is disposed take <paramref name="overrides"/>.</summary>
    public static IDisposable Apply(KernelOverrides overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var scope = new Scope(s_current.Value);
        s_current.Value = overrides;
        return scope;
    }

    private sealed class Scope(KernelOverrides? previous) : IDisposable
    {
        public void Dispose() => s_current.Value = previous;
    }
}
