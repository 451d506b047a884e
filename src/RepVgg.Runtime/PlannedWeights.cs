using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RepVgg.Cpu;

namespace RepVgg;

/// <summary>
/// The weights each conv layer's algorithm reads, for the engines of one <see cref="ModelWeights"/>: in place in the
/// blob where it holds them so (every layer of a prepacked blob, the direct layers of a compact one), and for a compact
/// blob's Winograd layers transformed from their direct packing, once per process and blob: the first engine created
/// on the blob computes them, on the worker pool, and every later engine, CPU or GPU, shares them.
/// </summary>
internal sealed unsafe class PlannedWeights
{
    // Rows of the direct layout (an output block's input channel, 144 floats) per item of the pool's work.
    private const int RowsPerItem = 64;

    private static readonly ConditionalWeakTable<ModelWeights, PlannedWeights> s_byBlob = new();

    private readonly ModelWeights _weights;
    // Held while transforming, so that one engine's Create computes a layer and another waits for it.
    private readonly Lock _lock = new();
    // A compact blob's Winograd layers by their weight offset and algorithm: their packing, in pinned arrays. Written under
    // _lock once a transform is complete; read without it, on every inference.
    private readonly ConcurrentDictionary<(long Offset, ConvAlgorithm Algorithm), float[]> _transformed = [];

    private PlannedWeights(ModelWeights weights) => _weights = weights;

    /// <summary>The planned weights of <paramref name="weights"/>, shared by everything in the process that reads them.</summary>
    public static PlannedWeights Of(ModelWeights weights) => s_byBlob.GetValue(weights, blob => new PlannedWeights(blob));

    /// <summary>
    /// Computes what <paramref name="network"/>'s layers need that the blob does not hold, all layers in one pass over
    /// the worker pool; nothing when an earlier engine did, or the blob is prepacked.
    /// </summary>
    public void Prepare(NetworkLayout network) => Transform(network.Layers);

    /// <summary>
    /// <paramref name="layer"/>'s weights in the layout of its algorithm (<see cref="Conv3x3Packing.PackedWeightLength(ConvAlgorithm, int, int, int)"/>
    /// floats); a compact blob's Winograd layer is transformed now unless <see cref="Prepare"/> did it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The layer's weights lie outside the blob.</exception>
    public ReadOnlySpan<float> Of(Conv3x3Layer layer)
    {
        int length = Conv3x3Packing.PackedWeightLength(layer.Algorithm, layer.InChannels, layer.OutChannels, layer.Groups);
        if (!NeedsTransform(layer))
            return _weights.Slice(layer.WeightOffset, length);
        // Every inference reads its layers here: the lookup takes no lock and allocates nothing.
        if (!_transformed.TryGetValue((layer.WeightOffset, layer.Algorithm), out float[]? packed))
        {
            Transform([layer]);
            packed = _transformed[(layer.WeightOffset, layer.Algorithm)];
        }
        return packed;
    }

    /// <summary>Whether a layer's algorithm reads another layout than the blob holds it in.</summary>
    private bool NeedsTransform(Conv3x3Layer layer) => _weights.StoredAlgorithm(layer) != layer.Algorithm;

    private void Transform(IEnumerable<Conv3x3Layer> layers)
    {
        // One engine's Create at a time computes; another waits, then finds its layers done.
        lock (_lock)
        {
            var work = new TransformWork();
            var done = new Dictionary<(long, ConvAlgorithm), float[]>();
            foreach (Conv3x3Layer layer in layers)
            {
                if (!NeedsTransform(layer) || _transformed.ContainsKey((layer.WeightOffset, layer.Algorithm)) || done.ContainsKey((layer.WeightOffset, layer.Algorithm)))
                    continue;
                int directLength = Conv3x3Packing.PackedWeightLength(layer.InChannels, layer.OutChannels, layer.Groups);
                ReadOnlySpan<float> direct = _weights.Slice(layer.WeightOffset, directLength); // checked to lie inside the blob
                float[] packed = GC.AllocateUninitializedArray<float>(
                    WinogradPacking.PackedWeightLength(layer.Algorithm, layer.InChannels, layer.OutChannels, layer.Groups), pinned: true);
                done.Add((layer.WeightOffset, layer.Algorithm), packed);
                work.Add(layer.Algorithm, (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(direct)),
                    (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(packed)), directLength / 9, directLength / Conv3x3Packing.FloatsPerInputChannel);
            }
            WorkerPool.Shared.Run(work, work.Count);
            // Published only now, so that a lock-free reader never sees a packing still being written.
            foreach (var (key, packed) in done)
                _transformed[key] = packed;
        }
    }

    /// <summary>The transforms of one <see cref="Transform"/>, as the pool's items: <see cref="RowsPerItem"/> rows of one layer each.</summary>
    private sealed class TransformWork : IParallelWork
    {
        private readonly List<(ConvAlgorithm Algorithm, IntPtr Direct, IntPtr Packed, int PointFloats, int FirstRow, int Rows)> _items = [];

        public int Count => _items.Count;

        public void Add(ConvAlgorithm algorithm, float* direct, float* packed, int pointFloats, int rows)
        {
            for (int first = 0; first < rows; first += RowsPerItem)
                _items.Add((algorithm, (IntPtr)direct, (IntPtr)packed, pointFloats, first, Math.Min(RowsPerItem, rows - first)));
        }

        public void Run(int item)
        {
            var (algorithm, direct, packed, pointFloats, firstRow, rows) = _items[item];
            WinogradPacking.TransformPackedRows(algorithm, (float*)direct, (float*)packed, pointFloats, firstRow, rows);
        }
    }
}
