using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RepVgg.Cpu;

/// <summary>
/// One SIMD register of floats, as a type: code generic over it (the Winograd transforms, and the
/// Vector128 and scalar kernels through <see cref="Block16{TLanes}"/>) is compiled by the JIT once
/// per width, with <see cref="Count"/> a constant. The register-tiled Vector512 and Vector256
/// kernels are written per width instead, because their tile shapes depend on the register file.
/// </summary>
/// <typeparam name="TSelf">The implementing struct.</typeparam>
internal unsafe interface ILanes<TSelf> where TSelf : struct, ILanes<TSelf>
{
    /// <summary>Floats per register: 16, 8, 4 or 1.</summary>
    static abstract int Count { get; }

    static abstract TSelf Load(float* source);

    static abstract void Store(TSelf value, float* destination);

    static abstract TSelf Broadcast(float value);

    static abstract TSelf operator +(TSelf left, TSelf right);

    static abstract TSelf operator -(TSelf left, TSelf right);

    static abstract TSelf operator *(TSelf left, float right);

    /// <summary><c>left * right + addend</c>, rounded once.</summary>
    static abstract TSelf MultiplyAdd(TSelf left, TSelf right, TSelf addend);

    /// <summary>ReLU: the larger of the value and zero, per lane.</summary>
    static abstract TSelf Relu(TSelf value);
}

/// <summary>AVX-512: 16 floats.</summary>
internal readonly unsafe struct Lanes512 : ILanes<Lanes512>
{
    private readonly Vector512<float> _value;

    private Lanes512(Vector512<float> value) => _value = value;

    public static int Count => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Load(float* source) => new(Vector512.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Lanes512 value, float* destination) => value._value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Broadcast(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 operator +(Lanes512 left, Lanes512 right) => new(left._value + right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 operator -(Lanes512 left, Lanes512 right) => new(left._value - right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 operator *(Lanes512 left, float right) => new(left._value * right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 MultiplyAdd(Lanes512 left, Lanes512 right, Lanes512 addend) => new(Vector512.FusedMultiplyAdd(left._value, right._value, addend._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Relu(Lanes512 value) => new(Vector512.Max(value._value, Vector512<float>.Zero));
}

/// <summary>AVX2: 8 floats.</summary>
internal readonly unsafe struct Lanes256 : ILanes<Lanes256>
{
    private readonly Vector256<float> _value;

    private Lanes256(Vector256<float> value) => _value = value;

    public static int Count => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Load(float* source) => new(Vector256.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Lanes256 value, float* destination) => value._value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Broadcast(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 operator +(Lanes256 left, Lanes256 right) => new(left._value + right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 operator -(Lanes256 left, Lanes256 right) => new(left._value - right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 operator *(Lanes256 left, float right) => new(left._value * right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 MultiplyAdd(Lanes256 left, Lanes256 right, Lanes256 addend) => new(Vector256.FusedMultiplyAdd(left._value, right._value, addend._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Relu(Lanes256 value) => new(Vector256.Max(value._value, Vector256<float>.Zero));
}

/// <summary>SSE or Arm64 AdvSimd: 4 floats.</summary>
internal readonly unsafe struct Lanes128 : ILanes<Lanes128>
{
    private readonly Vector128<float> _value;

    private Lanes128(Vector128<float> value) => _value = value;

    public static int Count => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 Load(float* source) => new(Vector128.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Lanes128 value, float* destination) => value._value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 Broadcast(float value) => new(Vector128.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 operator +(Lanes128 left, Lanes128 right) => new(left._value + right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 operator -(Lanes128 left, Lanes128 right) => new(left._value - right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 operator *(Lanes128 left, float right) => new(left._value * right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 MultiplyAdd(Lanes128 left, Lanes128 right, Lanes128 addend) => new(Vector128.FusedMultiplyAdd(left._value, right._value, addend._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 Relu(Lanes128 value) => new(Vector128.Max(value._value, Vector128<float>.Zero));
}

/// <summary>No SIMD: one float. The reference the vector widths are tested against, and the fallback anywhere.</summary>
internal readonly unsafe struct LanesScalar : ILanes<LanesScalar>
{
    private readonly float _value;

    private LanesScalar(float value) => _value = value;

    public static int Count => 1;
    public static LanesScalar Load(float* source) => new(*source);
    public static void Store(LanesScalar value, float* destination) => *destination = value._value;
    public static LanesScalar Broadcast(float value) => new(value);
    public static LanesScalar operator +(LanesScalar left, LanesScalar right) => new(left._value + right._value);
    public static LanesScalar operator -(LanesScalar left, LanesScalar right) => new(left._value - right._value);
    public static LanesScalar operator *(LanesScalar left, float right) => new(left._value * right);
    public static LanesScalar MultiplyAdd(LanesScalar left, LanesScalar right, LanesScalar addend) => new(MathF.FusedMultiplyAdd(left._value, right._value, addend._value));
    public static LanesScalar Relu(LanesScalar value) => new(MathF.Max(value._value, 0f));
}
