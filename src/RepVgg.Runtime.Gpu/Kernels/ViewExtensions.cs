using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>Views the kernels read shared memory through.</summary>
internal static class ViewExtensions
{
    /// <summary>
    /// The elements of <paramref name="view"/> from <paramref name="start"/> on. A kernel that makes one such view per step
    /// and reads it at constant indices gets loads with the offsets folded in: ILGPU computes each indexed address in
    /// full (an add, a shift and an add per load), and ptxas folds only a constant offset from one register.
    /// </summary>
    public static ArrayView<T> From<T>(this ArrayView<T> view, int start) where T : unmanaged => view.SubView(start, view.IntLength - start);
}
