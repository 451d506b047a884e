using RepVgg.Compiler.Architecture;

namespace RepVgg.Compiler.Writing;

/// <summary>A squeeze-and-excitation's four tensors as a state_dict holds them, under a layout's names.</summary>
public static class SqueezeTensors
{
    /// <summary>
    /// The down conv's weight (Internal, C, 1, 1) and bias, then the up conv's weight (C, Internal, 1, 1) and bias of
    /// <paramref name="unit"/> in block <paramref name="block"/>, in float32, named as <paramref name="names"/> names them
    /// (<c>stage1.0.se.down.weight</c>, <c>stages.0.0.attn.fc1.weight</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The layout has no module for the unit's placement.</exception>
    public static IEnumerable<TensorToWrite> Of(KeyLayout names, string block, SqueezeExcitation unit)
    {
        SqueezeModule module = names.SqueezeModuleFor(unit.Placement, block);
        string prefix = $"{block}.{module.Module}";
        return
        [
            TensorToWrite.FromFloats($"{prefix}.{module.Down}.weight", [unit.InternalChannels, unit.Channels, 1, 1], Float32.Round(unit.DownWeight)),
            TensorToWrite.FromFloats($"{prefix}.{module.Down}.bias", [unit.InternalChannels], Float32.Round(unit.DownBias)),
            TensorToWrite.FromFloats($"{prefix}.{module.Up}.weight", [unit.Channels, unit.InternalChannels, 1, 1], Float32.Round(unit.UpWeight)),
            TensorToWrite.FromFloats($"{prefix}.{module.Up}.bias", [unit.Channels], Float32.Round(unit.UpBias)),
        ];
    }
}
