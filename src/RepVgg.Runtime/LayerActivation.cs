namespace RepVgg;

/// <summary>
/// One layer's output during an <c>Infer</c> call, as a <see cref="LayerActivationHandler"/> receives it: the
/// layer's name (<c>stage1.0</c>), the activation's shape and its values in NCHW order. The values are
/// valid only during the call to the handler; copy them to keep them.
/// </summary>
public readonly ref struct LayerActivation
{
    public LayerActivation(string name, int batch, int channels, int height, int width, ReadOnlySpan<float> values)
    {
        Name = name;
        Batch = batch;
        Channels = channels;
        Height = height;
        Width = width;
        Values = values;
    }

    /// <summary>The layer's name as the checkpoint's module (<c>stage0</c>, <c>stage1.0</c>, <c>stem</c>, <c>stages.0.0</c>).</summary>
    public string Name { get; }

    /// <summary>Images in the batch (N).</summary>
    public int Batch { get; }

    /// <summary>Output channels of the layer (C).</summary>
    public int Channels { get; }

    /// <summary>Output height (H).</summary>
    public int Height { get; }

    /// <summary>Output width (W).</summary>
    public int Width { get; }

    /// <summary>N x C x H x W floats, after the layer's bias and ReLU.</summary>
    public ReadOnlySpan<float> Values { get; }
}

/// <summary>Receives each layer's output during an <c>Infer</c> call that captures activations.</summary>
public delegate void LayerActivationHandler(LayerActivation activation);
