namespace RepVgg;

/// <summary>Where a block's squeeze-and-excitation scales its output.</summary>
public enum SqueezePlacement
{
    /// <summary>On the conv's output, before the ReLU: <c>relu(se(conv(x)))</c>, as RepVGG-D2se (official <c>se</c>, timm <c>attn</c>).</summary>
    BeforeRelu,

    /// <summary>After the ReLU: <c>se(relu(conv(x)))</c>, as RepVGGplus-L2pse (official <c>post_se</c>).</summary>
    AfterRelu,
}
