using System.Buffers.Binary;
using System.Text.RegularExpressions;
using RepVgg.Checkpoints;
using RepVgg.Compiler.Writing;

namespace RepVgg.Fuzz.Mutations;

/// <summary>
/// Edits a state dict tensor by tensor (names, shapes, element types, values) and writes it with the
/// project's writers, so the file is always well formed and the weights step gets past the readers to
/// architecture inference, BatchNorm folding, float32 rounding and packing.
/// </summary>
internal static class NetworkMutations
{
    public static byte[] Mutate(IReadOnlyList<TensorToWrite> original, string scratch, MutationContext context)
    {
        var tensors = original.ToList();
        int edits = 1 + context.Random.Next(3);
        for (int i = 0; i < edits && tensors.Count > 0; i++)
            Edit(tensors, context);

        // The writers check nothing (duplicate names, short data), so any edit can be written.
        if (context.Random.Next(3) == 0)
        {
            string path = Path.ChangeExtension(scratch, ".safetensors");
            SafetensorsWriter.Write(path, tensors);
            context.Note("written as safetensors");
            return File.ReadAllBytes(path);
        }
        var options = new PthOptions
        {
            Format = context.Random.Next(2) == 0 ? PthFormat.Torch1 : PthFormat.Torch2,
            WrapperKey = context.Pick(new[] { null, null, "state_dict", "model", "state_dict_ema" }),
            KeyPrefix = context.Random.Next(4) == 0 ? "module." : "",
        };
        PthWriter.Write(scratch, tensors, options);
        context.Note($"written as .pth ({options.Format}, wrapper {options.WrapperKey ?? "none"}, prefix '{options.KeyPrefix}')");
        return File.ReadAllBytes(scratch);
    }

    private static void Edit(List<TensorToWrite> tensors, MutationContext context)
    {
        Random random = context.Random;
        int at = random.Next(tensors.Count);
        TensorToWrite tensor = tensors[at];
        switch (random.Next(8))
        {
            case 0:
                context.Note($"network: '{tensor.Name}' removed");
                tensors.RemoveAt(at);
                break;
            case 1:
            {
                // Another block index or stage, a far one, or a DataParallel prefix on one key only.
                string renamed = random.Next(3) switch
                {
                    0 => Regex.Replace(tensor.Name, @"\d+", _ => context.Pick(new[] { "0", "1", "2", "3", "9", "100000", "2147483647" }), RegexOptions.None, TimeSpan.FromSeconds(1)),
                    1 => "module." + tensor.Name,
                    _ => tensor.Name.Replace("rbr_dense", context.Pick(new[] { "rbr_1x1", "rbr_identity", "rbr_reparam", "conv_kxk" }), StringComparison.Ordinal),
                };
                tensors[at] = tensor with { Name = renamed };
                context.Note($"network: '{tensor.Name}' renamed '{renamed}'");
                break;
            }
            case 2:
            {
                // Copy a whole block under another index: deeper stages, gaps, or a block far away.
                Match block = Regex.Match(tensor.Name, @"^(stage\d+\.|stages\.\d+\.)(\d+)\.");
                if (!block.Success)
                    break;
                string prefix = block.Value, copy = block.Groups[1].Value + context.Pick(new[] { "2", "3", "5", "1000" }) + ".";
                tensors.AddRange(tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList()
                    .Select(t => t with { Name = copy + t.Name[prefix.Length..] }));
                context.Note($"network: block '{prefix}' copied as '{copy}'");
                break;
            }
            case 3:
            {
                int[] shape = Reshape(tensor.Shape, context);
                long count = shape.Aggregate(1L, (a, b) => a * b);
                int size = tensor.DType.ElementSize();
                // Data resized to fit the shape when small enough, else left as it was (and too short).
                ReadOnlyMemory<byte> data = count * size <= 1 << 20 ? Resize(tensor.Data, (int)(count * size)) : tensor.Data;
                tensors[at] = tensor with { Shape = shape, Data = data };
                context.Note($"network: '{tensor.Name}' shape [{string.Join(",", tensor.Shape)}] -> [{string.Join(",", shape)}]");
                break;
            }
            case 4:
            {
                if (tensor.DType != TensorDType.Float32)
                    break;
                TensorDType dtype = context.Pick(new[] { TensorDType.Float16, TensorDType.BFloat16, TensorDType.Float64, TensorDType.Int64, TensorDType.Bool });
                float[] values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.Data.Span).ToArray();
                tensors[at] = dtype.IsFloatingPoint()
                    ? TensorToWrite.FromFloats(tensor.Name, tensor.Shape, values, dtype)
                    : new TensorToWrite(tensor.Name, dtype, tensor.Shape, new byte[values.Length * dtype.ElementSize()]);
                context.Note($"network: '{tensor.Name}' stored as {dtype}");
                break;
            }
            default:
            {
                if (tensor.DType != TensorDType.Float32 || tensor.Data.Length < 4)
                    break;
                // BatchNorm statistics and weights at the edges: zero, negative or denormal variances,
                // values that overflow float32 once folded, infinities.
                float value = context.Pick(new[] { 0f, -1f, float.Epsilon, 1e-30f, 1e30f, float.MaxValue, float.NaN, float.PositiveInfinity, -0f });
                byte[] data = tensor.Data.ToArray();
                bool all = random.Next(2) == 0;
                for (int i = 0; i < data.Length / 4; i++)
                    if (all || random.Next(8) == 0) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * 4), value);
                tensors[at] = tensor with { Data = data };
                context.Note($"network: '{tensor.Name}' {(all ? "all" : "some")} values -> {value}");
                break;
            }
        }
    }

    private static int[] Reshape(int[] shape, MutationContext context)
    {
        int[] reshaped = shape.ToArray();
        switch (context.Random.Next(4))
        {
            case 0 when reshaped.Length > 0:
                reshaped[context.Random.Next(reshaped.Length)] = context.Pick(new[] { 0, 1, 2, 3, 5, 7, 16, 65536, int.MaxValue });
                return reshaped;
            case 1:
                return [.. reshaped, 1];
            case 2 when reshaped.Length > 0:
                return reshaped[1..];
            default:
                return [.. reshaped.Reverse()];
        }
    }

    private static ReadOnlyMemory<byte> Resize(ReadOnlyMemory<byte> data, int length)
    {
        var resized = new byte[length];
        data.Span[..Math.Min(length, data.Length)].CopyTo(resized);
        return resized;
    }
}
