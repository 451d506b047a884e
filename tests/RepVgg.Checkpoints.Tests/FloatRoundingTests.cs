using RepVgg.Compiler.Writing;

namespace RepVgg.Checkpoints.Tests;

/// <summary>float32 to float16/bfloat16 bits, against patterns worked out by hand from the IEEE layouts.</summary>
public sealed class FloatRoundingTests
{
    [Theory]
    [InlineData(1.0f, 0x3C00)]
    [InlineData(-2.0f, 0xC000)]
    [InlineData(65504f, 0x7BFF)]               // largest finite half
    [InlineData(65520f, 0x7C00)]               // halfway to 2^16 rounds to even: infinity
    [InlineData(0.333333343f, 0x3555)]         // 1/3: mantissa 0101010101|01.. rounds down
    [InlineData(5.96046448e-8f, 0x0001)]       // 2^-24, smallest subnormal
    [InlineData(2.98023224e-8f, 0x0000)]       // 2^-25, exactly half of it: ties to even, zero
    [InlineData(1.00048828f, 0x3C00)]          // 1 + 2^-11, a tie: stays on the even 1.0
    [InlineData(1.00146484f, 0x3C02)]          // 1 + 3*2^-11, a tie: goes up to the even 1 + 2^-9
    [InlineData(-0.0f, 0x8000)]
    public void Float16_RoundsToNearestEven(float value, int expectedBits)
    {
        Assert.Equal((ushort)expectedBits, FloatRounding.ToFloat16Bits(value));
    }

    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(3.14159274f, 0x4049)]          // pi: 0x40490FDB, low half below the midpoint
    [InlineData(1.00390625f, 0x3F80)]          // 1 + 2^-8, a tie: stays on the even 1.0
    [InlineData(1.01171875f, 0x3F82)]          // 1 + 3*2^-8, a tie: goes up to the even 1 + 2^-6
    [InlineData(1.00390637f, 0x3F81)]          // just above the tie: rounds up
    [InlineData(-0.0f, 0x8000)]
    [InlineData(float.PositiveInfinity, 0x7F80)]
    [InlineData(3.40282347e38f, 0x7F80)]       // float.MaxValue rounds up to infinity, as in PyTorch
    public void BFloat16_RoundsToNearestEven(float value, int expectedBits)
    {
        Assert.Equal((ushort)expectedBits, FloatRounding.ToBFloat16Bits(value));
    }

    [Fact]
    public void BFloat16_KeepsNaNQuietRatherThanRoundingItToInfinity()
    {
        float nanWithLowPayload = BitConverter.UInt32BitsToSingle(0x7F80FFFF);

        ushort bits = FloatRounding.ToBFloat16Bits(nanWithLowPayload);

        Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle((uint)bits << 16)), $"0x{bits:X4} is not a NaN");
    }

    [Fact]
    public void RoundedValues_ReadBackAsTheExactHalfAndBFloat16Numbers()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("rounded.pth");
        float[] values = [1f / 3f, 3.14159274f, 1.00146484f];

        PthWriter.Write(path, [
            TensorToWrite.FromFloats("half", [3], values, TensorDType.Float16),
            TensorToWrite.FromFloats("brain", [3], values, TensorDType.BFloat16),
        ]);
        StateDict tensors = CheckpointReader.Read(path);

        // 0x3555 = 1365/4096, 0x4248 = 3.140625, 0x3E02 = 1.001953125; bfloat16 0x3EAB = 0.333984375, 0x4049 = 3.140625, 0x3F80 = 1.
        Assert.Equal([0.333251953125, 3.140625, 1.001953125], tensors["half"].ToDoubleArray());
        Assert.Equal([0.333984375, 3.140625, 1.0], tensors["brain"].ToDoubleArray());
    }
}
