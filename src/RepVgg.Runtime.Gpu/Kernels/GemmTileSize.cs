using ILGPU;

namespace RepVgg.Gpu.Kernels;

/// <summary>
/// The tile size of the GEMMs: 64 x 64 (<see cref="Small"/>) or 128 x 128 (<see cref="Large"/>). In float32 (the
/// implicit-GEMM conv and the Winograd GEMM) with 4 x 4 or 8 x 8 register blocks (<see cref="TileGemm"/>); on
/// tensor cores (<see cref="Conv3x3MmaKernel"/>) with 4 warps of 32 x 32 outputs or 8 of 64 x 32.
/// </summary>
internal enum GemmTileSize
{
    /// <summary>Per layer and batch, by <see cref="GemmTilePolicy"/>: what the engine does.</summary>
    Auto,

    /// <summary>Always 64 x 64: for tests and the GPU check's comparison.</summary>
    Small,

    /// <summary>Always 128 x 128: for tests and the GPU check's comparison.</summary>
    Large,
}
