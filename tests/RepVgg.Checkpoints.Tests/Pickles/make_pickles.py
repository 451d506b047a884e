"""Writes the data.pkl files that PythonPickleTests reads, with CPython's own pickler.

Torch is not needed: stand-ins named like torch's globals make CPython emit exactly the
opcodes torch.save does (it only pickles a state dict's OrderedDict, _rebuild_tensor_v2 /
_rebuild_parameter reductions and storage persistent ids). Run with any Python 3.8+:
    python3 make_pickles.py
"""
import argparse
import collections
import pickle
import sys
import types

torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
torch._utils = torch_utils
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils


def _rebuild_tensor_v2(*args):
    raise NotImplementedError


def _rebuild_parameter(*args):
    raise NotImplementedError


# The pickler names a function by its __module__ and checks that the module really holds it.
for _function in (_rebuild_tensor_v2, _rebuild_parameter):
    _function.__module__ = "torch._utils"
    setattr(torch_utils, _function.__name__, _function)


def _storage_class(name):
    cls = type(name, (), {})
    cls.__module__ = "torch"
    setattr(torch, name, cls)
    return cls


FloatStorage = _storage_class("FloatStorage")
HalfStorage = _storage_class("HalfStorage")
LongStorage = _storage_class("LongStorage")


class Storage:
    def __init__(self, key, storage_class, numel):
        self.key, self.storage_class, self.numel = key, storage_class, numel


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor_v2, self.args)


class Parameter:
    def __init__(self, data):
        self.data = data

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.data, True, collections.OrderedDict()))


class Scheduler:
    """A custom class whose __new__ takes keyword arguments: protocol 4+ pickles it with NEWOBJ_EX."""

    def __init__(self, steps):
        self.steps = steps

    def __getnewargs_ex__(self):
        return (), {"steps": self.steps}

    def anneal(self):
        return self.steps


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", obj.storage_class, obj.key, "cpu", obj.numel)
        return None


def checkpoint(protocol):
    """A training script's checkpoint around a three-tensor state dict.

    Storage "0" holds float32 0..5 and is shared: conv.weight is all of it as (2, 3), conv.bias
    is elements 4..5 (an offset view). Storage "1" is float16, "2" int64; storage "3" belongs only to the
    optimizer state and is absent from the zip, which proves it is never loaded.
    """
    weights = Storage("0", FloatStorage, 6)
    state_dict = collections.OrderedDict()
    state_dict["conv.weight"] = Parameter(Tensor(weights, 0, (2, 3), (3, 1)))
    state_dict["conv.bias"] = Tensor(weights, 4, (2,), (1,))
    state_dict["bn.running_var"] = Tensor(Storage("1", HalfStorage, 3), 0, (3,), (1,))
    state_dict["bn.num_batches_tracked"] = Tensor(Storage("2", LongStorage, 1), 0, (), ())
    state_dict["note"] = "non-tensor values in a state dict are skipped"
    # What nn.Module.state_dict() attaches: per-module versions, restored with BUILD.
    state_dict._metadata = collections.OrderedDict([("", {"version": 1}), ("bn", {"version": 2})])
    optimizer = {
        "state": {0: {"step": 10, "exp_avg": Tensor(Storage("3", FloatStorage, 6), 0, (2, 3), (3, 1))}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "nesterov": False,
                          "weight_decay": None, "amsgrad": True}],
    }
    scheduler = Scheduler(10)
    # Python objects a training script saves beside the weights, none of which the reader may build:
    # a Namespace (NEWOBJ), a bound method (getattr through REDUCE), a custom class (NEWOBJ_EX at 4+),
    # a defaultdict filled by SETITEMS, sets (EMPTY_SET, ADDITEMS, FROZENSET at 4+; a REDUCE of set at 2),
    # bytes (a REDUCE of _codecs.encode at 2, BINBYTES at 3+) and a bytearray (BYTEARRAY8 at 5).
    extras = {"args": argparse.Namespace(lr=0.1, arch="RepVGG-A0"), "anneal": scheduler.anneal,
              "seen": collections.defaultdict(list, {"a": [1]}), "tags": {"x", "y"}, "frozen": frozenset([1, 2]),
              "raw": b"\x00\x01", "buffer": bytearray(b"\x02")}
    return {"epoch": 2 ** 70, "arch": "RepVGG-A0 \u00e9", "best_acc1": -5.25, "step": -70000,
            "model": state_dict, "optimizer": optimizer, "extras": extras}


for protocol in (2, 4, 5):
    with open(f"checkpoint_protocol{protocol}.pkl", "wb") as f:
        TorchPickler(f, protocol=protocol).dump(checkpoint(protocol))
