namespace RepVgg.Checkpoints;

/// <summary>
/// Finds the state dict inside what a training script saved: the dict itself, or the value of one of
/// its entries (<c>"state_dict"</c>, else <c>"model"</c>, or the entry the project names, such as
/// <c>"state_dict_ema"</c>). Other entries (epoch, optimizer, scheduler, <c>args</c>) are skipped, and so
/// are non-tensor values inside the state dict; what the pickle built from unknown globals is refused
/// only where the chosen tensors need it.
/// </summary>
internal static class CheckpointWrappers
{
    private static readonly string[] WrapperKeys = ["state_dict", "model"];

    /// <summary>How many globals or entries a warning names before it says how many more there are.</summary>
    private const int NamesInMessages = 8;

    /// <summary>The chosen state dict's tensors by key, in pickle order, and what the reader noticed on the way.</summary>
    /// <param name="pickle">The checkpoint's main pickle.</param>
    /// <param name="path">The file, for messages.</param>
    /// <param name="stateDictKey">The top-level entry to read, or null for the default choice.</param>
    /// <exception cref="CheckpointException">
    /// <see cref="CheckpointProblem.WholeModule"/> for a pickled module; <see cref="CheckpointProblem.ForbiddenGlobal"/>
    /// when the state dict or one of its tensors is built by a global off the allow-list;
    /// <see cref="CheckpointProblem.StateDictKeyNotFound"/> when <paramref name="stateDictKey"/> names no dict;
    /// <see cref="CheckpointProblem.Unreadable"/> when there is no dict or it holds no tensors.
    /// </exception>
    public static (List<(string Name, TensorReference Tensor)> Tensors, List<CheckpointWarning> Warnings) FindTensors(
        PickleResult pickle, string path, string? stateDictKey)
    {
        PickleDict top = pickle.Value switch
        {
            PickleDict dict => dict,
            _ => throw NotAStateDict(pickle.Value, path, "at its top level"),
        };

        string? chosenKey = stateDictKey is null ? DefaultKey(top, path) : RequireKey(top, stateDictKey, path);
        PickleDict stateDict = chosenKey is null ? top : (PickleDict)Value(top, chosenKey)!;

        var tensors = new List<(string, TensorReference)>();
        foreach (var (key, value) in stateDict.Items)
        {
            if (key is not string name)
                continue;
            if (value is TensorReference tensor)
                tensors.Add((name, tensor));
            else if (InertObject.Of(value) is { } inert)
                throw new CheckpointException(CheckpointProblem.ForbiddenGlobal, path, name,
                    $"Tensor '{name}' in '{path}' is built by the Python global '{inert.Global.FullName}', which the reader does not run; " +
                    $"a checkpoint's tensors may only use {AllowedGlobals.Description}. Loading anything else could run code: " +
                    "save plain tensors with torch.save(model.state_dict(), path).");
        }
        if (tensors.Count == 0)
            throw CheckpointException.Unreadable(path, chosenKey is null
                ? $"'{path}' holds no tensors where a state_dict should be; expected tensors at the top level or under 'state_dict' or 'model'. " +
                  $"The top level has {Keys(top)}."
                : $"Entry '{chosenKey}' of '{path}' holds no tensors; expected the state_dict's tensors there. The top level has {Keys(top)}.");

        var warnings = new List<CheckpointWarning>();
        if (pickle.InertGlobals.Count > 0)
            warnings.Add(SkippedObjects(top, stateDict, pickle.InertGlobals, path));
        if (UnchosenEma(top, chosenKey, path) is { } ema)
            warnings.Add(ema);
        return (tensors, warnings);
    }

    /// <summary>
    /// "state_dict" or "model" when the file has one, else null for the top level. A wrapper entry that
    /// is a pickled object, not a dict, is refused here: it is what the user meant to load.
    /// </summary>
    private static string? DefaultKey(PickleDict top, string path)
    {
        foreach (string key in WrapperKeys)
        {
            object? value = Value(top, key);
            if (value is PickleDict)
                return key;
            if (InertObject.Of(value) is not null)
                throw NotAStateDict(value, path, $"under '{key}'");
        }
        return null;
    }

    private static string RequireKey(PickleDict top, string key, string path)
    {
        if (!top.TryGetValue(key, out object? value))
            throw new CheckpointException(CheckpointProblem.StateDictKeyNotFound, path, null,
                $"The project asks for the state_dict under '{key}' (StateDictKey), but '{path}' has no such entry; its top level has {Keys(top)}.");
        if (value is PickleDict)
            return key;
        if (InertObject.Of(value) is not null)
            throw NotAStateDict(value, path, $"under '{key}'");
        throw new CheckpointException(CheckpointProblem.StateDictKeyNotFound, path, null,
            $"The project asks for the state_dict under '{key}' (StateDictKey), but in '{path}' that entry is a {RestrictedUnpickler.Describe(value)}; " +
            $"expected a dict of tensors. The top level has {Keys(top)}.");
    }

    /// <summary>The error for a value where a state dict should be: a pickled module, another object, or no dict at all.</summary>
    private static CheckpointException NotAStateDict(object? value, string path, string where)
    {
        string stem = Path.GetFileNameWithoutExtension(path);
        return InertObject.Of(value) switch
        {
            { IsModule: true } module => new CheckpointException(CheckpointProblem.WholeModule, path, null,
                $"'{path}' holds a whole pickled module ({module.Global.FullName}) {where}, as torch.save(model) writes; reading it would mean " +
                "running that class's code, and the reader never does. Save the weights instead, with this line in place of the torch.save call: " +
                $"torch.save(model.state_dict(), '{stem}-state_dict.pth')"),
            { } inert => new CheckpointException(CheckpointProblem.ForbiddenGlobal, path, null,
                $"'{path}' holds an object built by the Python global '{inert.Global.FullName}' {where}, where a state_dict should be; " +
                $"a checkpoint may only use {AllowedGlobals.Description}. Loading anything else could run code, so it was not: " +
                "save model.state_dict() with torch.save."),
            null => CheckpointException.Unreadable(path,
                $"'{path}' holds a {RestrictedUnpickler.Describe(value)} {where}; expected a state_dict (a dict of tensors) " +
                "or a dict that holds one under 'state_dict' or 'model'."),
        };
    }

    /// <summary>One warning naming the entries that hold skipped objects and the globals behind them.</summary>
    private static CheckpointWarning SkippedObjects(PickleDict top, PickleDict stateDict, IReadOnlyList<string> globals, string path)
    {
        var entries = top.Items
            .Where(item => item.Value != stateDict && ContainsInert(item.Value))
            .Select(item => Quote(item.Key))
            .ToList();
        string where = entries.Count == 0 ? "beside the state_dict" : $"in {Plural(entries.Count, "entry", "entries")} {Names(entries)}";
        return new CheckpointWarning(CheckpointWarningKind.SkippedObjects,
            $"'{path}' holds Python objects {where} that the network does not need; they were skipped without being constructed " +
            $"({Plural(globals.Count, "global", "globals")}: {Names(globals.Select(g => $"'{g}'").ToList())}).");
    }

    /// <summary>A warning when an EMA copy of the weights is in the file and another state dict was chosen.</summary>
    private static CheckpointWarning? UnchosenEma(PickleDict top, string? chosenKey, string path)
    {
        if (chosenKey is not null && IsEmaKey(chosenKey))
            return null;
        string? ema = top.Items
            .Where(item => item.Key is string key && IsEmaKey(key) && item.Value is PickleDict dict && dict.Items.Any(i => i.Value is TensorReference))
            .Select(item => (string)item.Key!)
            .FirstOrDefault();
        return ema is null ? null : new CheckpointWarning(CheckpointWarningKind.UnchosenEma,
            $"'{path}' also holds an exponential moving average of the weights under '{ema}', which was not compiled " +
            $"(compiled: {(chosenKey is null ? "the top-level state_dict" : $"'{chosenKey}'")}). EMA weights often score better; " +
            $"to compile them, add StateDictKey=\"{ema}\" to the RepVggModel item.");
    }

    private static bool IsEmaKey(string key) => key.Split('_', '.', '-').Any(part => part.Equals("ema", StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether an inert object is reachable from <paramref name="root"/>; pickles may be cyclic, so each container is visited once.</summary>
    private static bool ContainsInert(object? root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object?>([root]);
        while (pending.TryPop(out object? value))
        {
            if (InertObject.Of(value) is not null)
                return true;
            if (value is null || !seen.Add(value))
                continue;
            IEnumerable<object?> children = value switch
            {
                object?[] tuple => tuple,
                List<object?> list => list,
                PickleSet set => set.Items,
                PickleDict dict => dict.Items.SelectMany(item => new[] { item.Key, item.Value }),
                _ => [],
            };
            foreach (object? child in children) pending.Push(child);
        }
        return false;
    }

    private static object? Value(PickleDict dict, string key) => dict.TryGetValue(key, out object? value) ? value : null;

    private static string Keys(PickleDict dict) =>
        dict.Count == 0 ? "no entries" : "the keys " + Names(dict.Items.Select(item => Quote(item.Key)).ToList());

    private static string Names(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(NamesInMessages)) + (names.Count > NamesInMessages ? $" and {names.Count - NamesInMessages} more" : "");

    private static string Plural(int count, string one, string many) => $"{count} {(count == 1 ? one : many)}";

    private static string Quote(object? key) => key is string text ? $"'{text}'" : RestrictedUnpickler.Describe(key);
}
