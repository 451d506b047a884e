using System.Numerics.Tensors;

namespace RepVgg.Cpu;

/// <summary>
/// The classifier after pooling, <c>logits = W · pooled + b</c> for every image of a batch, with the
/// classes split into chunks that the <see cref="WorkerPool"/> runs in parallel. The weight matrix
/// (5 MB for 1280 features x 1000 classes) is read from memory on every call, so two cores reading
/// half each take half the time; a chunk's rows are used for every image of the batch while in cache.
/// One instance per engine, reused.
/// </summary>
internal sealed unsafe class LinearClassifierWork : IParallelWork
{
    /// <summary>Classes per item: 64 rows of weights, 320 KB for 1280 features.</summary>
    private const int ClassesPerItem = 64;

    private float* _pooled;
    private float* _weight;
    private float* _bias;
    private float* _logits;
    private LinearHead _head = null!;
    private int _batch;

    /// <summary>
    /// Writes <paramref name="batch"/> x Classes logits to <paramref name="logits"/> from batch x Features pooled
    /// features, the (Classes, Features) row-major <paramref name="weight"/> and the <paramref name="bias"/>.
    /// </summary>
    public void Run(WorkerPool pool, float* pooled, float* weight, float* bias, float* logits, LinearHead head, int batch)
    {
        _pooled = pooled;
        _weight = weight;
        _bias = bias;
        _logits = logits;
        _head = head;
        _batch = batch;
        pool.Run(this, (head.Classes + ClassesPerItem - 1) / ClassesPerItem);
    }

    /// <inheritdoc/>
    public void Run(int item)
    {
        int features = _head.Features, classes = _head.Classes;
        int first = item * ClassesPerItem, end = Math.Min(first + ClassesPerItem, classes);
        for (int image = 0; image < _batch; image++)
        {
            var pooled = new ReadOnlySpan<float>(_pooled + (long)image * features, features);
            float* logits = _logits + (long)image * classes;
            for (int k = first; k < end; k++)
                logits[k] = TensorPrimitives.Dot(new ReadOnlySpan<float>(_weight + (long)k * features, features), pooled) + _bias[k];
        }
    }
}
