using System.Buffers.Binary;
using System.Text;

namespace RepVgg.Checkpoints.Tests;

/// <summary>Safetensors files written byte by byte, for headers no writer would produce.</summary>
internal static class HandWrittenSafetensors
{
    /// <summary>The length field (<paramref name="declaredHeaderLength"/>, or the header's), the header, then <paramref name="data"/> zero bytes.</summary>
    public static byte[] Bytes(string header, int data, long? declaredHeaderLength = null) =>
        Bytes(Encoding.UTF8.GetBytes(header), data, declaredHeaderLength);

    /// <inheritdoc cref="Bytes(string, int, long?)"/>
    public static byte[] Bytes(byte[] header, int data, long? declaredHeaderLength = null)
    {
        var file = new byte[8 + header.Length + data];
        BinaryPrimitives.WriteInt64LittleEndian(file, declaredHeaderLength ?? header.Length);
        header.CopyTo(file, 8);
        return file;
    }
}
