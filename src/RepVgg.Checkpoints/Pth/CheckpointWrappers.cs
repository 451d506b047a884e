namespace RepVgg.Checkpoints;

/// <summary>
/// Finds the state dict inside what a training script saved: the dict itself, or the value of its
/// <c>"state_dict"</c> or <c>"model"</c> entry. Other entries (epoch, optimizer, scheduler) are ignored,
/// and so are non-tensor values inside the state dict.
/// </summary>
internal static class CheckpointWrappers
{
    private static readonly string[] WrapperKeys = ["state_dict", "model"];

    /// <summary>The state dict's tensors by key, in pickle order.</summary>
    /// <exception cref="CheckpointException"><see cref="CheckpointProblem.Unreadable"/> when there is no dict or it holds no tensors.</exception>
    public static List<(string Name, TensorReference Tensor)> FindTensors(object? root, string path)
    {
        if (root is not PickleDict top)
            throw CheckpointException.Unreadable(path,
                $"'{path}' holds a {RestrictedUnpickler.Describe(root)} at its top level; expected a state_dict (a dict of tensors) " +
                "or a dict that holds one under 'state_dict' or 'model'.");

        PickleDict stateDict = top;
        foreach (string key in WrapperKeys)
        {
            if (top.TryGetValue(key, out object? inner) && inner is PickleDict wrapped)
            {
                stateDict = wrapped;
                break;
            }
        }

        var tensors = stateDict.Items
            .Where(item => item.Key is string && item.Value is TensorReference)
            .Select(item => ((string)item.Key!, (TensorReference)item.Value!))
            .ToList();
        if (tensors.Count == 0)
            throw CheckpointException.Unreadable(path,
                $"'{path}' holds no tensors where a state_dict should be; expected tensors at the top level or under 'state_dict' or 'model'. " +
                $"The top level has {(top.Count == 0 ? "no entries" : "the keys " + string.Join(", ", top.Items.Take(10).Select(item => Quote(item.Key))))}.");
        return tensors;
    }

    private static string Quote(object? key) => key is string text ? $"'{text}'" : RestrictedUnpickler.Describe(key);
}
