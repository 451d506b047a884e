namespace RepVgg.Tooling.Reference;

/// <summary>
/// The per-output error bound <see cref="Precision"/> states for a conv3x3 layer (bias, ReLU) in TF32 or FP16,
/// computed in float64 from the layer's float32 inputs, weights and bias:
/// <code>
/// TF32:  |y - exact| &lt;= B = (2^-10 + (K + 2) 2^-23) S,   S = Σ|w x| + |b|
/// FP16:  |y - exact| &lt;= (1 + 2^-11) (B + 2^-24 Σ(|w| + |x|)) + 2^-11 S + 2^-25
/// </code>
/// K being the products an output sums (input channels of its group x 9). 2^-10 covers rounding both factors of a
/// product to 10 mantissa bits (2^-11 each, round to nearest); (K + 2) 2^-23 the float32 sums and the bias, at a full
/// unit each, as tensor cores may truncate; 2^-24 Σ(|w| + |x|) the absolute error of values in half's subnormal
/// range. The FP16 engine stores its activations in half precision, so each output is rounded once more: by at most
/// 2^-11 of its magnitude, itself at most S plus the error before it, or 2^-25 among the subnormals. ReLU only shrinks
/// an error, so the bound holds after it.
/// </summary>
public static class TensorCoreBound
{
    /// <summary>The bound's factor on Σ|w x| + |b| for outputs that sum <paramref name="reduction"/> products: 2^-10 + (K + 2) 2^-23.</summary>
    public static double RelativeFactor(int reduction) => Math.ScaleB(1, -10) + (reduction + 2) * Math.ScaleB(1, -23);

    /// <summary>The bound for each output, NCHW like the layer's output.</summary>
    /// <param name="precision">Tf32 or Fp16.</param>
    /// <param name="input">N x InChannels x Height x Width.</param>
    /// <param name="oihw">(outChannels, inChannels / groups, 3, 3).</param>
    /// <exception cref="ArgumentException"><paramref name="precision"/> is not a reduced one.</exception>
    public static double[] PerOutput(Precision precision, Activation input, float[] oihw, float[] bias, int outChannels, int groups, int stride)
    {
        if (precision is not (Precision.Tf32 or Precision.Fp16))
            throw new ArgumentException($"Only TF32 and FP16 have this bound; found {precision}.", nameof(precision));
        var magnitudes = input with { Data = Array.ConvertAll(input.Data, Math.Abs) };
        double[] absWeights = Array.ConvertAll(oihw, w => (double)Math.Abs(w));
        Activation products = UnfusedReference.Convolve(magnitudes, absWeights, outChannels, 3, stride, groups);
        double relative = RelativeFactor(input.Channels / groups * 9);
        // S = Σ|w x| + |b| for each output.
        var sums = new double[products.Data.Length];
        for (int i = 0; i < sums.Length; i++)
            sums[i] = products.Data[i] + Math.Abs(bias[i / products.PlaneLength % outChannels]);
        double[] bound = Array.ConvertAll(sums, sum => relative * sum);
        if (precision == Precision.Fp16)
        {
            // Σ|x| and Σ|w| over each output's window: the same convolution with ones for the other factor.
            Activation inputSums = UnfusedReference.Convolve(magnitudes, Array.ConvertAll(oihw, _ => 1.0), outChannels, 3, stride, groups);
            Activation weightSums = UnfusedReference.Convolve(input with { Data = Array.ConvertAll(input.Data, _ => 1.0) }, absWeights, outChannels, 3, stride, groups);
            double halfUnit = Math.ScaleB(1, -11);
            for (int i = 0; i < bound.Length; i++)
            {
                double beforeStore = bound[i] + Math.ScaleB(1, -24) * (inputSums.Data[i] + weightSums.Data[i]);
                bound[i] = (1 + halfUnit) * beforeStore + halfUnit * sums[i] + Math.ScaleB(1, -25);
            }
        }
        return bound;
    }
}
