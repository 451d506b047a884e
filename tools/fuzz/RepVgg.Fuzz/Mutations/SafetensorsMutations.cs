using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RepVgg.Fuzz.Mutations;

/// <summary>
/// Edits a safetensors header as JSON (shapes, offsets, dtypes, names, the metadata) and writes it back
/// with a length field that matches, most of the time, so the reader gets past the framing.
/// </summary>
internal static class SafetensorsMutations
{
    public static byte[] Mutate(byte[] file, MutationContext context)
    {
        if (file.Length < 8)
            return file;
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (declared > (ulong)(file.Length - 8))
            return file;
        int headerLength = (int)declared;
        byte[] data = file[(8 + headerLength)..];
        List<KeyValuePair<string, JsonNode?>> entries;
        try
        {
            entries = JsonNode.Parse(file.AsSpan(8, headerLength))!.AsObject().ToList();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return file;
        }
        // Detach the values from the parsed object so they can be edited and reused under other names.
        entries = entries.Select(pair => new KeyValuePair<string, JsonNode?>(pair.Key, pair.Value?.DeepClone())).ToList();

        int edits = 1 + context.Random.Next(3);
        for (int i = 0; i < edits; i++)
            Edit(entries, ref data, context);

        byte[] header = Encoding.UTF8.GetBytes(Serialize(entries, context));
        long length = header.Length;
        switch (context.Random.Next(12))
        {
            case 0: length = context.Pick(new long[] { 0, 1, header.Length - 1, header.Length + 1, header.Length + data.Length + 1, long.MaxValue, -1 }); break;
            case 1:
                // A huge header that is valid JSON: whitespace, which a message might quote whole.
                int padding = context.Pick(new[] { 4096, 1 << 20, 32 << 20 });
                header = [.. header, .. Enumerable.Repeat((byte)' ', padding)];
                length = header.Length;
                context.Note($"safetensors: header padded with {padding} spaces");
                break;
        }
        if (length != header.Length)
            context.Note($"safetensors: header length field {length} for a {header.Length}-byte header");
        var output = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteInt64LittleEndian(output, length);
        header.CopyTo(output, 8);
        data.CopyTo(output, 8 + header.Length);
        return output;
    }

    private static void Edit(List<KeyValuePair<string, JsonNode?>> entries, ref byte[] data, MutationContext context)
    {
        Random random = context.Random;
        var tensors = Enumerable.Range(0, entries.Count).Where(i => entries[i].Value is JsonObject o && o.ContainsKey("dtype")).ToList();
        if (tensors.Count == 0)
            return;
        int at = context.Pick(tensors);
        var (name, node) = entries[at];
        var tensor = (JsonObject)node!;
        switch (random.Next(11))
        {
            case 0 or 1:
                if (tensor["shape"] is JsonArray shape)
                {
                    JsonNode? size = SpecialNumber(context);
                    if (shape.Count == 0 || random.Next(4) == 0) shape.Add(size);
                    else shape[random.Next(shape.Count)] = size;
                    context.Note($"safetensors: '{name}' shape -> {shape.ToJsonString()}");
                }
                break;
            case 2:
                if (tensor["shape"] is JsonArray dims && dims.Count > 0)
                {
                    dims.RemoveAt(random.Next(dims.Count));
                    context.Note($"safetensors: '{name}' shape lost a dimension -> {dims.ToJsonString()}");
                }
                break;
            case 3 or 4:
                if (tensor["data_offsets"] is JsonArray offsets && offsets.Count == 2)
                {
                    if (random.Next(3) == 0 && offsets[0] is JsonValue first && first.TryGetValue(out long begin)
                        && offsets[1] is JsonValue second && second.TryGetValue(out long end))
                    {
                        // Overlap or leave a hole next to another tensor: same length, shifted.
                        long shift = context.Pick(new long[] { -4, -1, 1, 4, -(end - begin), end - begin, 2 });
                        offsets[0] = begin + shift;
                        offsets[1] = end + shift;
                    }
                    else offsets[random.Next(2)] = SpecialNumber(context);
                    context.Note($"safetensors: '{name}' data_offsets -> {offsets.ToJsonString()}");
                }
                break;
            case 5:
                string dtype = context.Pick(DTypes);
                tensor["dtype"] = dtype;
                context.Note($"safetensors: '{name}' dtype -> {dtype}");
                break;
            case 6:
                string renamed = context.Pick(new[]
                {
                    "", "module." + name, name + "\u0000", "stage0\u001b[2J\r\n.rbr_dense.conv.weight", "__metadata__",
                    entries[context.Pick(tensors)].Key, new string('x', 100_000),
                });
                entries[at] = new(renamed, node);
                context.Note($"safetensors: '{name}' renamed ({renamed.Length} chars)");
                break;
            case 7:
                entries.RemoveAt(at);
                context.Note($"safetensors: '{name}' removed from the header");
                break;
            case 8:
                string field = context.Pick(new[] { "dtype", "shape", "data_offsets" });
                tensor[field] = context.Pick(new Func<JsonNode?>[] { () => null, () => JsonValue.Create("3"), () => new JsonObject(), () => new JsonArray(), () => JsonValue.Create(1.5) })();
                context.Note($"safetensors: '{name}' {field} -> {tensor[field]?.ToJsonString() ?? "null"}");
                break;
            case 9:
                int cut = random.Next(data.Length + 1);
                context.Note($"safetensors: data section cut from {data.Length} to {cut} bytes");
                data = data[..cut];
                break;
            default:
                byte[] flipped = data.ToArray();
                for (int i = 0, n = 1 + random.Next(8); i < n && flipped.Length > 0; i++)
                    flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                data = flipped;
                context.Note("safetensors: data bits flipped");
                break;
        }
    }

    /// <summary>The entries as a JSON object, duplicate names kept (JsonObject would refuse them).</summary>
    private static string Serialize(List<KeyValuePair<string, JsonNode?>> entries, MutationContext context)
    {
        var text = new StringBuilder("{");
        for (int i = 0; i < entries.Count; i++)
        {
            if (i > 0) text.Append(',');
            text.Append(JsonSerializer.Serialize(entries[i].Key)).Append(':').Append(entries[i].Value?.ToJsonString() ?? "null");
        }
        return text.Append('}').ToString();
    }

    private static JsonNode? SpecialNumber(MutationContext context) => context.Random.Next(6) switch
    {
        0 => JsonValue.Create(1e20),
        1 => JsonValue.Create(-0.0),
        2 => JsonNode.Parse("123456789012345678901234567890"),
        _ => JsonNode.Parse(context.InterestingInteger().ToString()),
    };

    private static readonly string[] DTypes =
        ["F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2", "C64", "U64", "", "f32", "F32\u0000"];
}
