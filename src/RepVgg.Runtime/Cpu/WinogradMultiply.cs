using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RepVgg.Cpu;

/// <summary>
/// The multiply step of Winograd convolution at one transformed point: for <see cref="Tiles"/>
/// tiles and <see cref="Blocks"/> blocks of 16 output channels, the products
/// <c>M[tile][oc] = Σ_ic V[tile][ic] · U[ic][oc]</c>, a small matrix product over the blocks' input
/// channels. Implementations are register-tiled for one vector width's register file; the structs
/// let the JIT specialise and inline the caller per width.
/// </summary>
internal interface IWinogradMultiply
{
    /// <summary>Tiles per call: the register tile's rows.</summary>
    static abstract int Tiles { get; }

    /// <summary>
    /// Output blocks per call, 1 or 2. Two blocks must read the same input channels, so that the
    /// second block's weights follow the first's (<see cref="WinogradPacking"/>).
    /// </summary>
    static abstract int Blocks { get; }

    /// <summary>
    /// Writes <c>products[b * blockProductFloats + t * 16 + lane] = Σ_k inputs[t * tileFloats + k] · weights[(b * count + k) * 16 + lane]</c>
    /// for <c>b &lt; Blocks</c>, <c>t &lt; Tiles</c>, <c>k &lt; count</c>.
    /// </summary>
    /// <param name="inputs">Tile 0's transformed input at this point, at the blocks' first input channel.</param>
    /// <param name="tileFloats">Floats between consecutive tiles' inputs.</param>
    /// <param name="weights">The blocks' weights at this point: (Blocks, count, 16).</param>
    /// <param name="count">Input channels the blocks read.</param>
    /// <param name="products">Receives (Tiles, 16) per block.</param>
    /// <param name="blockProductFloats">Floats between the blocks' products.</param>
    /// <param name="prefetch">
    /// Null, or <c>count</c> x 16 floats to bring into the cache while this call computes, one line per input
    /// channel: the next point's weights, which lie far from these (a whole point's weights apart) so that
    /// the hardware prefetcher, which follows one 4 KB page at a time, would fetch them only on demand.
    /// </param>
    static abstract unsafe void Multiply(float* inputs, long tileFloats, float* weights, int count, float* products, long blockProductFloats, float* prefetch);
}

/// <summary>
/// AVX-512: 8 tiles x 16 output channels, 8 accumulators. Per input channel one weight load and
/// 8 FMAs whose broadcast operand comes from memory; 8 chains cover the FMA latency at two per cycle.
/// </summary>
internal readonly unsafe struct WinogradMultiply512 : IWinogradMultiply
{
    public static int Tiles => 8;

    public static int Blocks => 1;

    public static void Multiply(float* inputs, long tileFloats, float* weights, int count, float* products, long blockProductFloats, float* prefetch)
    {
        float* i0 = inputs, i1 = i0 + tileFloats, i2 = i1 + tileFloats, i3 = i2 + tileFloats;
        float* i4 = i3 + tileFloats, i5 = i4 + tileFloats, i6 = i5 + tileFloats, i7 = i6 + tileFloats;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int k = 0; k < count; k++, weights += 16)
        {
            if (prefetch != null && Sse.IsSupported)
                Sse.Prefetch0(prefetch + k * 16);
            Vector512<float> w = Vector512.Load(weights);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(i0[k]), w, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(i1[k]), w, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(i2[k]), w, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(i3[k]), w, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Create(i4[k]), w, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Create(i5[k]), w, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Create(i6[k]), w, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Create(i7[k]), w, a7);
        }
        a0.Store(products);
        a1.Store(products + 16);
        a2.Store(products + 32);
        a3.Store(products + 48);
        a4.Store(products + 64);
        a5.Store(products + 80);
        a6.Store(products + 96);
        a7.Store(products + 112);
    }
}

/// <summary>
/// AVX-512: 8 tiles x 32 output channels (two blocks), 16 accumulators. Per input channel two weight
/// loads and 8 broadcasts feed 16 FMAs: half the loads per FMA of the one-block kernel, which
/// matters where the weights are in cache and the loads, not the memory, set the pace.
/// </summary>
internal readonly unsafe struct WinogradMultiply512Pair : IWinogradMultiply
{
    public static int Tiles => 8;

    public static int Blocks => 2;

    public static void Multiply(float* inputs, long tileFloats, float* weights, int count, float* products, long blockProductFloats, float* prefetch)
    {
        float* i0 = inputs, i1 = i0 + tileFloats, i2 = i1 + tileFloats, i3 = i2 + tileFloats;
        float* i4 = i3 + tileFloats, i5 = i4 + tileFloats, i6 = i5 + tileFloats, i7 = i6 + tileFloats;
        float* second = weights + (long)count * 16;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        for (int k = 0; k < count; k++, weights += 16, second += 16)
        {
            if (prefetch != null && Sse.IsSupported)
            {
                Sse.Prefetch0(prefetch + k * 16);
                Sse.Prefetch0(prefetch + (count + k) * 16);
            }
            Vector512<float> w = Vector512.Load(weights), v = Vector512.Load(second);
            Vector512<float> x = Vector512.Create(i0[k]);
            a0 = Vector512.FusedMultiplyAdd(x, w, a0);
            b0 = Vector512.FusedMultiplyAdd(x, v, b0);
            x = Vector512.Create(i1[k]);
            a1 = Vector512.FusedMultiplyAdd(x, w, a1);
            b1 = Vector512.FusedMultiplyAdd(x, v, b1);
            x = Vector512.Create(i2[k]);
            a2 = Vector512.FusedMultiplyAdd(x, w, a2);
            b2 = Vector512.FusedMultiplyAdd(x, v, b2);
            x = Vector512.Create(i3[k]);
            a3 = Vector512.FusedMultiplyAdd(x, w, a3);
            b3 = Vector512.FusedMultiplyAdd(x, v, b3);
            x = Vector512.Create(i4[k]);
            a4 = Vector512.FusedMultiplyAdd(x, w, a4);
            b4 = Vector512.FusedMultiplyAdd(x, v, b4);
            x = Vector512.Create(i5[k]);
            a5 = Vector512.FusedMultiplyAdd(x, w, a5);
            b5 = Vector512.FusedMultiplyAdd(x, v, b5);
            x = Vector512.Create(i6[k]);
            a6 = Vector512.FusedMultiplyAdd(x, w, a6);
            b6 = Vector512.FusedMultiplyAdd(x, v, b6);
            x = Vector512.Create(i7[k]);
            a7 = Vector512.FusedMultiplyAdd(x, w, a7);
            b7 = Vector512.FusedMultiplyAdd(x, v, b7);
        }
        float* p = products, q = products + blockProductFloats;
        a0.Store(p); a1.Store(p + 16); a2.Store(p + 32); a3.Store(p + 48);
        a4.Store(p + 64); a5.Store(p + 80); a6.Store(p + 96); a7.Store(p + 112);
        b0.Store(q); b1.Store(q + 16); b2.Store(q + 32); b3.Store(q + 48);
        b4.Store(q + 64); b5.Store(q + 80); b6.Store(q + 96); b7.Store(q + 112);
    }
}

/// <summary>
/// AVX2: 6 tiles x 16 output channels (two vectors), 12 accumulators + 2 weights + 1 broadcast
/// = 15 of the 16 ymm registers. Per input channel 2 weight loads and 6 broadcasts feed 12 FMAs.
/// </summary>
internal readonly unsafe struct WinogradMultiply256 : IWinogradMultiply
{
    public static int Tiles => 6;

    public static int Blocks => 1;

    public static void Multiply(float* inputs, long tileFloats, float* weights, int count, float* products, long blockProductFloats, float* prefetch)
    {
        float* i0 = inputs, i1 = i0 + tileFloats, i2 = i1 + tileFloats, i3 = i2 + tileFloats, i4 = i3 + tileFloats, i5 = i4 + tileFloats;
        Vector256<float> l0 = default, l1 = default, l2 = default, l3 = default, l4 = default, l5 = default;
        Vector256<float> h0 = default, h1 = default, h2 = default, h3 = default, h4 = default, h5 = default;
        for (int k = 0; k < count; k++, weights += 16)
        {
            if (prefetch != null && Sse.IsSupported)
                Sse.Prefetch0(prefetch + k * 16);
            Vector256<float> low = Vector256.Load(weights), high = Vector256.Load(weights + 8);
            Vector256<float> x = Vector256.Create(i0[k]);
            l0 = Vector256.FusedMultiplyAdd(x, low, l0);
            h0 = Vector256.FusedMultiplyAdd(x, high, h0);
            x = Vector256.Create(i1[k]);
            l1 = Vector256.FusedMultiplyAdd(x, low, l1);
            h1 = Vector256.FusedMultiplyAdd(x, high, h1);
            x = Vector256.Create(i2[k]);
            l2 = Vector256.FusedMultiplyAdd(x, low, l2);
            h2 = Vector256.FusedMultiplyAdd(x, high, h2);
            x = Vector256.Create(i3[k]);
            l3 = Vector256.FusedMultiplyAdd(x, low, l3);
            h3 = Vector256.FusedMultiplyAdd(x, high, h3);
            x = Vector256.Create(i4[k]);
            l4 = Vector256.FusedMultiplyAdd(x, low, l4);
            h4 = Vector256.FusedMultiplyAdd(x, high, h4);
            x = Vector256.Create(i5[k]);
            l5 = Vector256.FusedMultiplyAdd(x, low, l5);
            h5 = Vector256.FusedMultiplyAdd(x, high, h5);
        }
        l0.Store(products); h0.Store(products + 8);
        l1.Store(products + 16); h1.Store(products + 24);
        l2.Store(products + 32); h2.Store(products + 40);
        l3.Store(products + 48); h3.Store(products + 56);
        l4.Store(products + 64); h4.Store(products + 72);
        l5.Store(products + 80); h5.Store(products + 88);
    }
}

/// <summary>
/// Any width, one tile x 16 output channels in <c>16 / Count</c> registers: the Vector128 kernel
/// (Arm64's AdvSimd, SSE) and the scalar one, which every other width is tested against.
/// </summary>
internal readonly unsafe struct WinogradMultiplyOneTile<TLanes> : IWinogradMultiply
    where TLanes : struct, ILanes<TLanes>
{
    public static int Tiles => 1;

    public static int Blocks => 1;

    public static void Multiply(float* inputs, long tileFloats, float* weights, int count, float* products, long blockProductFloats, float* prefetch)
    {
        var sum = new Block16<TLanes>();
        for (int k = 0; k < count; k++, weights += 16)
            sum.MultiplyAdd(TLanes.Broadcast(inputs[k]), weights);
        sum.Store(products);
    }
}
