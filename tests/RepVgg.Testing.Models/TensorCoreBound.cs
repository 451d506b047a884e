using RepVgg.Compiler.Reference;

namespace RepVgg.Testing.Models;

/// <summary>
/// The per-output error bound <see cref="Precision"/> states for a conv3x3 layer (bias, ReLU) in TF32 or FP16,
/// computed in float64 from the layer's float32 inputs, weights and bias:
/// <code>
/// B = (2^-10 + (K + 2) 2^-23) S,   S = Σ|w x| + |b|
/// TF32:  |y - exact| &lt;= (1 + 2^-11) B + 2^-11 S + 2^-137
/// FP16:  |y - exact| &lt;= (1 + 2^-11) (B + 2^-24 Σ(|w| + |x|)) + 2^-11 S + 2^-25
/// </code>
/// K being the products an output sums (input channels of its group x 9). 2^-10 covers rounding both factors of a
/// product to 10 mantissa bits (2^-11 each, round to nearest); (K + 2) 2^-23 the float32 sums and the bias, at a full
/// unit each, as tensor cores may truncate; 2^-24 Σ(|w| + |x|) the absolute error of values in half's subnormal
/// range. Both engines store their activations in the format their mma reads (TF32-rounded float32, or half
/// precision), so each output is rounded once more: by at most 2^-11 of its magnitude, itself at most S plus the error
/// before it, or by half a unit of the format's smallest spacing among the subnormals (2^-137 for TF32, whose exponent
/// is float32's; 2^-25 for half). ReLU only shrinks an error, so the bound holds after it.
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
            for (int i = 0; i < bound.Length; i++)
                bound[i] += Math.ScaleB(1, -24) * (inputSums.Data[i] + weightSums.Data[i]);
        }
        // The output's own rounding as it is stored.
        double unit = Math.ScaleB(1, -11), subnormalRounding = Math.ScaleB(1, precision == Precision.Fp16 ? -25 : -137);
        for (int i = 0; i < bound.Length; i++)
            bound[i] = (1 + unit) * bound[i] + unit * sums[i] + subnormalRounding;
        return bound;
    }
}
