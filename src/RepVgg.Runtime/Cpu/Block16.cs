using System.Runtime.CompilerServices;

namespace RepVgg.Cpu;

/// <summary>
/// An accumulator for one 16-lane channel block in registers of any width: one Vector512, two
/// Vector256, four Vector128 or sixteen floats. The width tests are on constants, so the JIT keeps
/// only the registers a width uses; the kernels written once over <typeparamref name="TLanes"/> use it.
/// </summary>
internal unsafe struct Block16<TLanes> where TLanes : struct, ILanes<TLanes>
{
    private TLanes _r0, _r1, _r2, _r3, _r4, _r5, _r6, _r7, _r8, _r9, _r10, _r11, _r12, _r13, _r14, _r15;

    /// <summary>Registers per block: 16 / lanes per register.</summary>
    private static int Registers => 16 / TLanes.Count;

    /// <summary>Starts from 16 floats (a bias).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block16<TLanes> Load(float* source)
    {
        var block = new Block16<TLanes>();
        int n = TLanes.Count;
        block._r0 = TLanes.Load(source);
        if (Registers > 1) block._r1 = TLanes.Load(source + n);
        if (Registers > 2) { block._r2 = TLanes.Load(source + 2 * n); block._r3 = TLanes.Load(source + 3 * n); }
        if (Registers > 4)
        {
            block._r4 = TLanes.Load(source + 4 * n); block._r5 = TLanes.Load(source + 5 * n);
            block._r6 = TLanes.Load(source + 6 * n); block._r7 = TLanes.Load(source + 7 * n);
            block._r8 = TLanes.Load(source + 8 * n); block._r9 = TLanes.Load(source + 9 * n);
            block._r10 = TLanes.Load(source + 10 * n); block._r11 = TLanes.Load(source + 11 * n);
            block._r12 = TLanes.Load(source + 12 * n); block._r13 = TLanes.Load(source + 13 * n);
            block._r14 = TLanes.Load(source + 14 * n); block._r15 = TLanes.Load(source + 15 * n);
        }
        return block;
    }

    /// <summary>Adds <paramref name="x"/> (one value in every lane) times the 16 floats at <paramref name="weights"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MultiplyAdd(TLanes x, float* weights)
    {
        int n = TLanes.Count;
        _r0 = TLanes.MultiplyAdd(x, TLanes.Load(weights), _r0);
        if (Registers > 1) _r1 = TLanes.MultiplyAdd(x, TLanes.Load(weights + n), _r1);
        if (Registers > 2)
        {
            _r2 = TLanes.MultiplyAdd(x, TLanes.Load(weights + 2 * n), _r2);
            _r3 = TLanes.MultiplyAdd(x, TLanes.Load(weights + 3 * n), _r3);
        }
        if (Registers > 4)
        {
            _r4 = TLanes.MultiplyAdd(x, TLanes.Load(weights + 4 * n), _r4);
            _r5 = TLanes.MultiplyAdd(x, TLanes.Load(weights + 5 * n), _r5);
            _r6 = TLanes.MultiplyAdd(x, TLanes.Load(weights + 6 * n), _r6);
            _r7 = TLanes.MultiplyAdd(x, TLanes.Load(weights + 7 * n), _r7);
            _r8 = TLanes.MultiplyAdd(x, TLanes.Load(weights + 8 * n), _r8);
            _r9 = TLanes.MultiplyAdd(x, TLanes.Load(weights + 9 * n), _r9);
            _r10 = TLanes.MultiplyAdd(x, TLanes.Load(weights + 10 * n), _r10);
            _r11 = TLanes.MultiplyAdd(x, TLanes.Load(weights + 11 * n), _r11);
            _r12 = TLanes.MultiplyAdd(x, TLanes.Load(weights + 12 * n), _r12);
            _r13 = TLanes.MultiplyAdd(x, TLanes.Load(weights + 13 * n), _r13);
            _r14 = TLanes.MultiplyAdd(x, TLanes.Load(weights + 14 * n), _r14);
            _r15 = TLanes.MultiplyAdd(x, TLanes.Load(weights + 15 * n), _r15);
        }
    }

    /// <summary>Stores the 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store(float* destination) => Store(destination, relu: false);

    /// <summary>Stores the 16 lanes after ReLU.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void StoreRelu(float* destination) => Store(destination, relu: true);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void Store(float* destination, bool relu)
    {
        int n = TLanes.Count;
        Put(_r0, destination, relu);
        if (Registers > 1) Put(_r1, destination + n, relu);
        if (Registers > 2) { Put(_r2, destination + 2 * n, relu); Put(_r3, destination + 3 * n, relu); }
        if (Registers > 4)
        {
            Put(_r4, destination + 4 * n, relu); Put(_r5, destination + 5 * n, relu);
            Put(_r6, destination + 6 * n, relu); Put(_r7, destination + 7 * n, relu);
            Put(_r8, destination + 8 * n, relu); Put(_r9, destination + 9 * n, relu);
            Put(_r10, destination + 10 * n, relu); Put(_r11, destination + 11 * n, relu);
            Put(_r12, destination + 12 * n, relu); Put(_r13, destination + 13 * n, relu);
            Put(_r14, destination + 14 * n, relu); Put(_r15, destination + 15 * n, relu);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(TLanes value, float* destination, bool relu) =>
        TLanes.Store(relu ? TLanes.Relu(value) : value, destination);
}
