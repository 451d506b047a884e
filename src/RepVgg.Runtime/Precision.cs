namespace RepVgg;

/// <summary>
/// The arithmetic a network's convolutions run in. Reduced precisions use the GPU's tensor cores
/// (NVIDIA compute capability 8.0, Ampere, or newer): each conv3x3 rounds its inputs and weights to the
/// narrower format and accumulates the products in float32, and the activations are kept in that format between
/// layers. Each has a stated error bound per layer (below).
/// A stem with 1 to 4 input channels (its own GPU kernel, a small share of the work), the pooling and the head
/// always compute in float32, on those stored activations.
/// </summary>
public enum Precision
{
    /// <summary>float32 throughout: within float32 rounding of PyTorch (the default).</summary>
    Fp32,

    /// <summary>
    /// TF32 tensor cores: activations and weights rounded to 10 mantissa bits (round to nearest, ties away), products
    /// accumulated in float32, and the activations kept rounded to TF32 between layers (the input too, rounded as it
    /// arrives). Per layer, with B = <c>(2^-10 + (K + 2) 2^-23) (Σ|w x| + |b|)</c>, K being the products an output sums
    /// (input channels of its group x 9), each output is within <c>(1 + 2^-11) B + 2^-11 (Σ|w x| + |b|) + 2^-137</c>
    /// of the exact value: its own rounding to TF32 added.
    /// </summary>
    Tf32,

    /// <summary>
    /// FP16 tensor cores: activations and weights rounded to IEEE half precision (round to nearest even), products
    /// accumulated in float32, and the activations kept in half precision between layers (the input too, rounded as
    /// it arrives). Per layer, with B the TF32 bound's B plus <c>2^-24 Σ(|w| + |x|)</c> for values that underflow to half's
    /// subnormals, each output is within <c>(1 + 2^-11) B + 2^-11 (Σ|w x| + |b|) + 2^-25</c>: its own rounding to
    /// half added. Activations above 65504 in magnitude overflow to infinity; a model with a weight that would is
    /// refused when its engine is created, with the layer and the weight named.
    /// </summary>
    Fp16,
}
