using RepVgg.Compiler.Architecture;

namespace RepVgg.Compiler.Reference;

/// <summary>
/// The RepVGG network exactly as it was trained, evaluated in float64 with plain loops: every
/// block is ReLU(BN(conv3x3(x)) + BN(conv1x1(x)) + BN(x)), with its squeeze-and-excitation before or after the ReLU
/// where it has one, then global average pooling and the linear head. It shares nothing with the fused path or the kernels, which is what makes it a
/// reference: tests compare the fused float32 network against it.
/// </summary>
public static class UnfusedReference
{
    /// <summary>Logits (Batch, Classes) for an NCHW batch.</summary>
    public static double[] Forward(TrainedNetwork network, Activation images)
    {
        Activation x = images;
        foreach (RepVggBlock block in network.Blocks) x = Block(block, x);
        return PoolAndClassify(network.Head, x);
    }

    /// <summary>One block, branches evaluated separately and summed, then ReLU.</summary>
    public static Activation Block(RepVggBlock block, Activation x)
    {
        Activation sum;
        if (block.Deployed is { } fused)
        {
            sum = Convolve(x, fused.Weight, fused.OutChannels, 3, block.Stride, block.Groups);
            AddBias(sum, fused.Bias);
        }
        else
        {
            sum = BranchOutput(block.Dense!, x, block.Stride, block.Groups);
            if (block.Pointwise is { } pointwise) Add(sum, BranchOutput(pointwise, x, block.Stride, block.Groups));
            if (block.Identity is { } identity) Add(sum, Normalize(identity, x));
        }
        if (block.Squeeze is { Placement: SqueezePlacement.BeforeRelu } before) SqueezeExcite(before, sum);
        for (int i = 0; i < sum.Data.Length; i++) sum.Data[i] = Math.Max(sum.Data[i], 0);
        if (block.Squeeze is { Placement: SqueezePlacement.AfterRelu } after) SqueezeExcite(after, sum);
        return sum;
    }

    /// <summary>
    /// Scales each channel of <paramref name="x"/> in place by <c>sigmoid(up(relu(down(mean))))</c> of the image's channel
    /// means over the whole map.
    /// </summary>
    public static void SqueezeExcite(SqueezeExcitation unit, Activation x)
    {
        var mean = new double[x.Channels];
        var hidden = new double[unit.InternalChannels];
        for (int n = 0; n < x.Batch; n++)
        {
            for (int c = 0; c < x.Channels; c++)
            {
                double total = 0;
                for (int p = 0, plane = x.Plane(n, c); p < x.PlaneLength; p++) total += x.Data[plane + p];
                mean[c] = total / x.PlaneLength;
            }
            for (int h = 0; h < unit.InternalChannels; h++)
            {
                double acc = unit.DownBias[h];
                for (int c = 0; c < x.Channels; c++) acc += unit.DownWeight[h * x.Channels + c] * mean[c];
                hidden[h] = Math.Max(acc, 0);
            }
            for (int c = 0; c < x.Channels; c++)
            {
                double acc = unit.UpBias[c];
                for (int h = 0; h < unit.InternalChannels; h++) acc += unit.UpWeight[c * unit.InternalChannels + h] * hidden[h];
                double scale = 1 / (1 + Math.Exp(-acc));
                for (int p = 0, plane = x.Plane(n, c); p < x.PlaneLength; p++) x.Data[plane + p] *= scale;
            }
        }
    }

    /// <summary>BN(conv(x)) of one branch.</summary>
    public static Activation BranchOutput(ConvBatchNorm branch, Activation x, int stride, int groups) =>
        Normalize(branch.Norm, Convolve(x, branch.Weight, branch.Norm.Channels, branch.KernelSize, stride, groups));

    /// <summary>
    /// A K x K convolution with padding K / 2, no bias. <paramref name="weight"/> is
    /// (outChannels, Channels / groups, K, K).
    /// </summary>
    public static Activation Convolve(Activation x, double[] weight, int outChannels, int kernel, int stride, int groups)
    {
        int pad = kernel / 2;
        int outH = (x.Height + 2 * pad - kernel) / stride + 1, outW = (x.Width + 2 * pad - kernel) / stride + 1;
        int inPerGroup = x.Channels / groups, outPerGroup = outChannels / groups;
        var y = Activation.Zeros(x.Batch, outChannels, outH, outW);
        // Each (image, output channel) plane is independent; parallel only to keep tests quick.
        Parallel.For(0, x.Batch * outChannels, job =>
        {
            int n = job / outChannels, o = job % outChannels;
            int firstInput = o / outPerGroup * inPerGroup;
            int outPlane = y.Plane(n, o);
            for (int oy = 0; oy < outH; oy++)
            {
                for (int ox = 0; ox < outW; ox++)
                {
                    double acc = 0;
                    for (int i = 0; i < inPerGroup; i++)
                    {
                        int inPlane = x.Plane(n, firstInput + i);
                        for (int ky = 0; ky < kernel; ky++)
                        {
                            int iy = oy * stride + ky - pad;
                            if (iy < 0 || iy >= x.Height) continue;
                            for (int kx = 0; kx < kernel; kx++)
                            {
                                int ix = ox * stride + kx - pad;
                                if (ix < 0 || ix >= x.Width) continue;
                                acc += x.Data[inPlane + iy * x.Width + ix] * weight[((o * inPerGroup + i) * kernel + ky) * kernel + kx];
                            }
                        }
                    }
                    y.Data[outPlane + oy * outW + ox] = acc;
                }
            }
        });
        return y;
    }

    /// <summary>Eval-mode BatchNorm, (x - mean) / sqrt(var + eps) * gamma + beta, into a new activation.</summary>
    public static Activation Normalize(BatchNorm bn, Activation x)
    {
        var y = Activation.Zeros(x.Batch, x.Channels, x.Height, x.Width);
        for (int n = 0; n < x.Batch; n++)
        {
            for (int c = 0; c < x.Channels; c++)
            {
                double std = Math.Sqrt(bn.RunningVar[c] + bn.Eps);
                int plane = x.Plane(n, c);
                for (int p = 0; p < x.PlaneLength; p++)
                    y.Data[plane + p] = (x.Data[plane + p] - bn.RunningMean[c]) / std * bn.Gamma[c] + bn.Beta[c];
            }
        }
        return y;
    }

    /// <summary>Global average pooling, then logits = W pooled + b, per image.</summary>
    public static double[] PoolAndClassify(LinearClassifier head, Activation x)
    {
        var logits = new double[x.Batch * head.Classes];
        var pooled = new double[x.Channels];
        for (int n = 0; n < x.Batch; n++)
        {
            for (int c = 0; c < x.Channels; c++)
            {
                double sum = 0;
                int plane = x.Plane(n, c);
                for (int p = 0; p < x.PlaneLength; p++) sum += x.Data[plane + p];
                pooled[c] = sum / x.PlaneLength;
            }
            for (int k = 0; k < head.Classes; k++)
            {
                double acc = head.Bias[k];
                for (int c = 0; c < x.Channels; c++) acc += head.Weight[k * head.Features + c] * pooled[c];
                logits[n * head.Classes + k] = acc;
            }
        }
        return logits;
    }

    private static void AddBias(Activation x, double[] bias)
    {
        for (int n = 0; n < x.Batch; n++)
            for (int c = 0; c < x.Channels; c++)
                for (int p = 0, plane = x.Plane(n, c); p < x.PlaneLength; p++) x.Data[plane + p] += bias[c];
    }

    private static void Add(Activation sum, Activation term)
    {
        for (int i = 0; i < sum.Data.Length; i++) sum.Data[i] += term.Data[i];
    }
}
