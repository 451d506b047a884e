namespace RepVgg.Gpu.TensorCores;

/// <summary>A thread's four accumulators of one mma tile: elements 0 to 3 of <see cref="WarpAccumulators"/>' layout.</summary>
internal readonly struct TileResults(float e0, float e1, float e2, float e3)
{
    public readonly float E0 = e0, E1 = e1, E2 = e2, E3 = e3;
}
