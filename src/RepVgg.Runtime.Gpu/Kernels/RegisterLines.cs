namespace RepVgg.Gpu.Kernels;

// Short lines of floats held in registers: a kernel names every element, so nothing lands in local
// memory (an indexed local array would). Used for the Winograd transforms' columns and rows and for the
// GEMMs' register blocks; a Line4 is also one 16-byte shared-memory load (ld.shared.v4.f32).

/// <summary>Two floats.</summary>
internal readonly struct Line2(float a0, float a1)
{
    public readonly float A0 = a0, A1 = a1;
}

/// <summary>Four floats.</summary>
internal readonly struct Line4(float a0, float a1, float a2, float a3)
{
    public readonly float A0 = a0, A1 = a1, A2 = a2, A3 = a3;

    /// <summary><c>this + b * scale</c>, element by element: one row of a register block's update.</summary>
    public Line4 MultiplyAdd(Line4 b, float scale) =>
        new(A0 + b.A0 * scale, A1 + b.A1 * scale, A2 + b.A2 * scale, A3 + b.A3 * scale);
}

/// <summary>Six floats.</summary>
internal readonly struct Line6(float a0, float a1, float a2, float a3, float a4, float a5)
{
    public readonly float A0 = a0, A1 = a1, A2 = a2, A3 = a3, A4 = a4, A5 = a5;
}
