#!/usr/bin/env python3
"""Writes RepVGG checkpoints as users save them, with real PyTorch, and float64 reference logits.

The C# tests (PyTorchCheckpointTests) run this script with Debian's python3-torch (1.13) into a
temporary folder, compile every checkpoint with the weights step and compare the compiled network
with the logits PyTorch computes here:

    python3 write_checkpoints.py OUT_DIR [--random-seeds 1,2,3]

OUT_DIR receives one file per checkpoint plus, for each case, a raw little-endian float32 input
batch (NCHW) and float64 logits, and `cases.json` describing them all:

    {"torch": "1.13.1", "cases": [{"name", "checkpoint", "input", "logits", "shape": [N, C, H, W],
      "classes", "strides" (null for RepVGG's), "state_dict_key", "expect": "ok" | "RVG00xx", "description"}]}

The network is written here from the RepVGG paper (Ding et al., 2021): every block sums a 3x3
conv + BN, a 1x1 conv + BN and, when the block keeps its shape, an identity BN, then applies ReLU;
the stem is stage 0; global average pooling and a linear head follow. Module names are the
official repository's (`stage0`, `stage1.0.rbr_dense.conv`, `linear`); timm's names are produced
by renaming keys. Deploy-time checkpoints fold each block into `rbr_reparam` (timm: `reparam_conv`)
with torch's own float64 arithmetic. BatchNorm statistics are calibrated on random batches in
training mode, and a few SGD steps with momentum give real optimizer and scheduler state.
"""

import argparse
import copy
import json
import math
import os
import random
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBN(nn.Sequential):
    def __init__(self, cin, cout, kernel, stride, groups):
        super().__init__()
        self.add_module("conv", nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False))
        self.add_module("bn", nn.BatchNorm2d(cout))


class Block(nn.Module):
    def __init__(self, cin, cout, stride, groups):
        super().__init__()
        self.cin, self.cout, self.stride, self.groups = cin, cout, stride, groups
        self.rbr_identity = nn.BatchNorm2d(cin) if cin == cout and stride == 1 else None
        self.rbr_dense = ConvBN(cin, cout, 3, stride, groups)
        self.rbr_1x1 = ConvBN(cin, cout, 1, stride, groups)

    def forward(self, x):
        if hasattr(self, "rbr_reparam"):
            return F.relu(self.rbr_reparam(x))
        identity = 0 if self.rbr_identity is None else self.rbr_identity(x)
        return F.relu(self.rbr_dense(x) + self.rbr_1x1(x) + identity)

    def fold(self):
        """Replaces the branches by one 3x3 conv with bias, computed in float64."""
        def fold_bn(kernel, bn):
            scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
            return kernel * scale.reshape(-1, 1, 1, 1), bn.bias.double() - bn.running_mean.double() * scale

        kernel, bias = fold_bn(self.rbr_dense.conv.weight.double(), self.rbr_dense.bn)
        k1, b1 = fold_bn(F.pad(self.rbr_1x1.conv.weight.double(), [1, 1, 1, 1]), self.rbr_1x1.bn)
        kernel, bias = kernel + k1, bias + b1
        if self.rbr_identity is not None:
            per_group = self.cin // self.groups
            eye = torch.zeros(self.cout, per_group, 3, 3, dtype=torch.float64)
            for o in range(self.cout):
                eye[o, o % per_group, 1, 1] = 1
            k2, b2 = fold_bn(eye, self.rbr_identity)
            kernel, bias = kernel + k2, bias + b2
        conv = nn.Conv2d(self.cin, self.cout, 3, self.stride, 1, groups=self.groups, bias=True)
        conv.weight.data, conv.bias.data = kernel.float(), bias.float()
        for name in ("rbr_dense", "rbr_1x1", "rbr_identity"):
            delattr(self, name)
        self.rbr_reparam = conv


class RepVGG(nn.Module):
    def __init__(self, arch):
        super().__init__()
        cin = arch["in_channels"]
        widths, depths, strides, groups = arch["widths"], arch["depths"], arch["strides"], arch["groups"]
        self.stage0 = Block(cin, widths[0], strides[0], 1)
        cin = widths[0]
        for stage, depth in enumerate(depths, start=1):
            blocks = []
            for index in range(depth):
                g = groups.get(f"{stage}.{index}", 1)
                blocks.append(Block(cin, widths[stage], strides[stage] if index == 0 else 1, g))
                cin = widths[stage]
            setattr(self, f"stage{stage}", nn.Sequential(*blocks))
        self.depths = depths
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(cin, arch["classes"])

    def forward(self, x):
        x = self.stage0(x)
        for stage in range(1, len(self.depths) + 1):
            x = getattr(self, f"stage{stage}")(x)
        return self.linear(torch.flatten(self.gap(x), 1))

    def deploy(self):
        for module in list(self.modules()):
            if isinstance(module, Block):
                module.fold()
        return self


def to_timm(state_dict):
    """timm's RepVGG names for the same tensors (timm.models.byobnet)."""
    renamed = {}
    for key, value in state_dict.items():
        parts = key.split(".")
        if parts[0] == "stage0":
            parts = ["stem"] + parts[1:]
        elif parts[0].startswith("stage"):
            parts = ["stages", str(int(parts[0][5:]) - 1)] + parts[1:]
        elif parts[0] == "linear":
            parts = ["head", "fc"] + parts[1:]
        names = {"rbr_dense": "conv_kxk", "rbr_1x1": "conv_1x1", "rbr_identity": "identity", "rbr_reparam": "reparam_conv"}
        renamed[".".join(names.get(p, p) for p in parts)] = value
    return renamed


def build(arch, seed):
    """A trained-looking network: random weights, calibrated BatchNorm, a few SGD steps with momentum."""
    torch.manual_seed(seed)
    model = RepVGG(arch)
    shape = (8, arch["in_channels"], arch["height"], arch["width"])
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.momentum = None  # cumulative average over the calibration batches
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.uniform_(module.bias, -0.2, 0.2)
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(shape))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-3, total_steps=10)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.momentum = 0.0  # training steps keep the calibrated statistics
    for _ in range(2):
        loss = model(torch.randn(shape)).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    return model.eval(), optimizer, scheduler


def reference_logits(arch, state_dict, deploy, images):
    """PyTorch's float64 forward of exactly the values a checkpoint holds (half and bfloat16 included)."""
    model = RepVGG(arch)
    if deploy:
        model.deploy()
    model.double().eval()
    model.load_state_dict({k: v.double() if v.is_floating_point() else v for k, v in state_dict.items()}, strict=True)
    with torch.no_grad():
        return model(images.double())


class Writer:
    def __init__(self, out):
        self.out = out
        self.cases = []

    def case(self, name, checkpoint, arch, state_dict, deploy, images=None, expect="ok", state_dict_key=None, description=""):
        """Records a case; `state_dict` (official names, the values the compiler must read) gives the reference."""
        if images is None:
            images = torch.randn(2, arch["in_channels"], arch["height"], arch["width"])
        entry = {"name": name, "checkpoint": checkpoint, "expect": expect, "description": description,
                 "state_dict_key": state_dict_key, "shape": list(images.shape), "classes": arch["classes"],
                 "strides": arch["strides"] if any(s != 2 for s in arch["strides"]) else None}
        if expect == "ok":
            logits = reference_logits(arch, state_dict, deploy, images)
            images.numpy().astype("<f4").tofile(os.path.join(self.out, name + ".input.f32"))
            logits.numpy().astype("<f8").tofile(os.path.join(self.out, name + ".logits.f64"))
            entry.update(input=name + ".input.f32", logits=name + ".logits.f64")
        self.cases.append(entry)

    def path(self, file):
        return os.path.join(self.out, file)


def named_cases(w):
    """One fixed network saved every way users save one."""
    arch = {"in_channels": 3, "widths": [16, 16, 32, 48, 64], "depths": [2, 2, 3, 1], "strides": [2, 2, 2, 2, 2],
            "groups": {"2.1": 2, "3.1": 4}, "classes": 10, "height": 40, "width": 36}
    model, optimizer, scheduler = build(arch, seed=1234)
    sd = model.state_dict()

    # The official training script (RepVGG's train.py): DataParallel's prefix, optimizer, OneCycleLR scheduler.
    torch.save({"epoch": 120, "arch": "RepVGG-custom", "state_dict": {"module." + k: v for k, v in sd.items()},
                "best_acc1": torch.tensor(71.25), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
               w.path("official-train.pth.tar"))
    w.case("official-train", "official-train.pth.tar", arch, sd, False, description="official train.py checkpoint")

    # timm's train.py: args, version, metric, optimizer, state_dict and an EMA copy with different weights.
    ema = copy.deepcopy(model)
    with torch.no_grad():
        for p in ema.parameters():
            p.mul_(0.97)
    timm_args = argparse.Namespace(model="repvgg_custom", lr=0.1, epochs=300, model_ema=True, model_ema_decay=0.9998)
    torch.save({"epoch": 299, "arch": "repvgg_custom", "state_dict": to_timm(sd), "optimizer": optimizer.state_dict(),
                "version": 2, "args": timm_args, "state_dict_ema": to_timm(ema.state_dict()), "metric": 71.9},
               w.path("timm-train.pth.tar"))
    w.case("timm-train", "timm-train.pth.tar", arch, sd, False, description="timm train.py checkpoint, state_dict chosen")
    w.case("timm-train-ema", "timm-train.pth.tar", arch, ema.state_dict(), False, state_dict_key="state_dict_ema",
           description="timm train.py checkpoint, StateDictKey=state_dict_ema")

    torch.save(sd, w.path("bare.pth"))
    w.case("bare", "bare.pth", arch, sd, False, description="torch.save(model.state_dict())")
    torch.save({"model": sd}, w.path("model-wrapped.pth"))
    w.case("model-wrapped", "model-wrapped.pth", arch, sd, False, description='{"model": state_dict}')

    half = copy.deepcopy(model).half().state_dict()
    torch.save(half, w.path("half.pth"))
    w.case("half", "half.pth", arch, half, False, description="model.half()")
    bf16 = copy.deepcopy(model).to(torch.bfloat16).state_dict()
    torch.save(bf16, w.path("bfloat16.pth"))
    w.case("bfloat16", "bfloat16.pth", arch, bf16, False, description="model.to(torch.bfloat16)")

    # Non-contiguous: the head transposed twice (strides (1, classes)), a conv in channels_last.
    strided = dict(sd)
    strided["linear.weight"] = sd["linear.weight"].t().contiguous().t()
    strided["stage1.0.rbr_dense.conv.weight"] = sd["stage1.0.rbr_dense.conv.weight"].contiguous(memory_format=torch.channels_last)
    assert not strided["linear.weight"].is_contiguous()
    torch.save(strided, w.path("non-contiguous.pth"))
    w.case("non-contiguous", "non-contiguous.pth", arch, strided, False, description="transposed and channels_last views")

    # Shared storages: every BatchNorm vector of the network is a view into one flat tensor.
    bn_keys = [k for k, v in sd.items() if v.dim() == 1 and v.is_floating_point()]
    flat = torch.cat([sd[k] for k in bn_keys])
    shared, offset = dict(sd), 0
    for k in bn_keys:
        shared[k] = flat[offset:offset + sd[k].numel()]
        offset += sd[k].numel()
    torch.save(shared, w.path("shared-storage.pth"))
    w.case("shared-storage", "shared-storage.pth", arch, shared, False, description="tensors viewing one storage")

    # The legacy format, with the training script's extras (their storages come first and are skipped).
    torch.save({"epoch": 3, "state_dict": sd, "optimizer": optimizer.state_dict()}, w.path("legacy.pth"),
               _use_new_zipfile_serialization=False)
    w.case("legacy", "legacy.pth", arch, sd, False, description="_use_new_zipfile_serialization=False")

    torch.save(model, w.path("whole-module.pth"))
    w.case("whole-module", "whole-module.pth", arch, sd, False, expect="RVG0017", description="torch.save(model)")

    deploy = copy.deepcopy(model).deploy().state_dict()
    torch.save(deploy, w.path("official-deploy.pth"))
    w.case("official-deploy", "official-deploy.pth", arch, deploy, True, description="deploy-time, rbr_reparam")
    torch.save(to_timm(deploy), w.path("timm-deploy.pth"))
    w.case("timm-deploy", "timm-deploy.pth", arch, deploy, True, description="deploy-time, timm's reparam_conv")

    # A one-channel network trained on small images keeps its resolution in a stride-1 stem.
    small = {"in_channels": 1, "widths": [8, 16, 24, 32, 40], "depths": [1, 2, 1, 1], "strides": [1, 2, 2, 2, 2],
             "groups": {}, "classes": 10, "height": 28, "width": 28}
    model, _, _ = build(small, seed=99)
    torch.save(model.state_dict(), w.path("stride1-stem.pth"))
    w.case("stride1-stem", "stride1-stem.pth", small, model.state_dict(), False, description="Strides=1,2,2,2,2")


def random_case(w, seed):
    """A random architecture: depths, widths (not multiples of 16), groups, input channels, classes,
    input sizes from 1x1 to odd ones, stem stride, training or deploy time, official or timm names."""
    rng = random.Random(seed)
    stages = rng.randint(1, 4)
    widths = [rng.choice([4, 8, 12, 16, 20, 24, 32, 40, 48, 64])]
    for _ in range(stages):
        widths.append(rng.choice([4, 8, 12, 16, 24, 32, 40, 48, 64, 96]))
    depths = [rng.randint(1, 3) for _ in range(stages)]
    groups = {}
    for stage in range(1, stages + 1):
        cin = widths[stage - 1]
        for index in range(depths[stage - 1]):
            options = [g for g in (2, 4) if cin % g == 0 and widths[stage] % g == 0]
            if options and rng.random() < 0.3:
                groups[f"{stage}.{index}"] = rng.choice(options)
            cin = widths[stage]
    height, width = rng.choice([(1, 1), (2, 3), (7, 7), (16, 16), (33, 47), (24, 19), (32, 32)])
    arch = {"in_channels": rng.choice([1, 3, 4]), "widths": widths, "depths": depths,
            "strides": [rng.choice([1, 2])] + [2] * stages, "groups": groups,
            "classes": rng.choice([1, 2, 7, 10, 100, 1000]), "height": height, "width": width}
    deploy, timm = rng.random() < 0.3, rng.random() < 0.5
    model, _, _ = build(arch, seed)
    if deploy:
        model.deploy()
    sd = model.state_dict()
    name = f"random-{seed}"
    torch.save(to_timm(sd) if timm else sd, w.path(name + ".pth"))
    images = torch.randn(rng.choice([1, 3]), arch["in_channels"], height, width)
    w.case(name, name + ".pth", arch, sd, deploy, images=images,
           description=f"seed {seed}: {'deploy' if deploy else 'train'}, {'timm' if timm else 'official'} names, " + json.dumps(arch))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--random-seeds", default="", help="comma-separated seeds of random architectures")
    parser.add_argument("--no-named", action="store_true", help="write only the random architectures")
    options = parser.parse_args()
    os.makedirs(options.out, exist_ok=True)
    torch.set_num_threads(1)
    writer = Writer(options.out)
    if not options.no_named:
        named_cases(writer)
    for seed in filter(None, options.random_seeds.split(",")):
        random_case(writer, int(seed))
    with open(writer.path("cases.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": writer.cases}, f, indent=1)
    print(f"wrote {len(writer.cases)} cases to {options.out} with torch {torch.__version__}")


if __name__ == "__main__":
    sys.exit(main())
