using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace RepVgg;

/// <summary>
/// Finds the GPU backend, which lives in its own assembly (RepVgg.Runtime.Gpu, with ILGPU) so that this one stays
/// trimming- and NativeAOT-safe: nothing here references it, so a trimmed or AOT app that never asks for the GPU
/// carries none of it. It is looked up by name the first time a GPU is asked for.
/// </summary>
internal static class GpuBackend
{
    // RepVgg.Gpu.GpuEngines.TryCreateCuda(NetworkLayout, ModelWeights, Precision, out InferenceEngine? engine): null, or why no engine.
    private delegate string? TryCreate(NetworkLayout network, ModelWeights weights, Precision precision, out InferenceEngine? engine);

    private const string EntryType = "RepVgg.Gpu.GpuEngines, RepVgg.Runtime.Gpu";

    private static readonly Lazy<(TryCreate? Create, string? Unavailable)> Entry = new(FindEntry);

    /// <summary>A GPU engine, or null with the reason there is none (no assembly, no driver, no CUDA device).</summary>
    public static InferenceEngine? TryCreateEngine(NetworkLayout network, ModelWeights weights, Precision precision, out string? unavailable)
    {
        (TryCreate? create, unavailable) = Entry.Value;
        if (create is null)
            return null;
        unavailable = create(network, weights, precision, out InferenceEngine? engine);
        return engine;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2057",
        Justification = "The GPU assembly is optional: when trimming removed it, or the app is NativeAOT, the GPU is reported unavailable.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "As above.")]
    private static (TryCreate?, string?) FindEntry()
    {
        if (!RuntimeFeature.IsDynamicCodeSupported)
            return (null, "the GPU backend compiles its kernels at run time (ILGPU), which a NativeAOT app cannot do");
        Type? entry;
        try
        {
            entry = Type.GetType(EntryType, throwOnError: false);
        }
        catch (Exception e) when (e is FileLoadException or BadImageFormatException)
        {
            return (null, $"the RepVgg.Runtime.Gpu assembly could not be loaded: {e.Message}");
        }
        MethodInfo? method = entry?.GetMethod("TryCreateCuda", BindingFlags.Public | BindingFlags.Static);
        return method is null
            ? (null, "the RepVgg.Runtime.Gpu assembly is not part of this app (the RepVgg package brings it; a trimmed app may have removed it)")
            : (method.CreateDelegate<TryCreate>(), null);
    }
}
