#!/usr/bin/env python3
"""Writes RepVGG checkpoints as users save them, with real PyTorch, and float64 reference logits.

The C# tests (PyTorchCheckpointTests) run this script with Debian's python3-torch (1.13) into a
temporary folder, compile every checkpoint with the weights step and compare the compiled network
with the logits PyTorch computes here:

    python3 write_checkpoints.py OUT_DIR [--random-seeds 1-24]

OUT_DIR receives one file per checkpoint plus, for each case, a raw little-endian float32 input
batch (NCHW) and float64 logits, and `cases.json` describing them all:

    {"torch": "1.13.1", "cases": [{"name", "checkpoint", "input", "logits", "shape": [N, C, H, W],
      "classes", "strides" (null for RepVGG's), "state_dict_key", "expect": "ok" | "RVG00xx", "description",
      "se": null | {"placement": "pre" | "post", "layout": "official" | "timm" | "repvggplus"}}]}

The network is written here from the RepVGG paper (Ding et al., 2021): every block sums a 3x3
conv + BN, a 1x1 conv + BN and, when the block keeps its shape, an identity BN, then applies ReLU;
the stem is stage 0; global average pooling and a linear head follow. Module names are the
official repository's (`stage0`, `stage1.0.rbr_dense.conv`, `linear`); timm's names are produced
by renaming keys. Deploy-time checkpoints fold each block into `rbr_reparam` (timm: `reparam_conv`)
with torch's own float64 arithmetic. BatchNorm statistics are calibrated on random batches in
training mode, and a few SGD steps with momentum give real optimizer and scheduler state.

Squeeze-and-excitation follows the official repository: RepVGG-D2se applies `se` before each
block's ReLU (timm: `attn`, with `fc1` and `fc2`), RepVGGplus (L2pse) applies `post_se` after it
and has its own layout (`stage1.blocks.0`, stage 3 split into `stage3_first` and `stage3_second`)
with three auxiliary classifiers that only training uses and the deploy checkpoint drops.
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


class SEBlock(nn.Module):
    """The official se_block.py: mean over the map, `down` (1x1 conv with bias), ReLU, `up`, sigmoid, scale.

    Its F.avg_pool2d(x, kernel_size=x.size(3)) is the whole map's mean only on a square map (on others
    it pools a window, or fails); there this takes the whole map's mean, as timm's SEModule
    (x.mean((2, 3), keepdim=True)) and the compiler do."""

    def __init__(self, channels, internal):
        super().__init__()
        self.channels = channels
        self.down = nn.Conv2d(channels, internal, kernel_size=1, stride=1, bias=True)
        self.up = nn.Conv2d(internal, channels, kernel_size=1, stride=1, bias=True)

    def forward(self, x):
        y = F.avg_pool2d(x, kernel_size=x.size(3)) if x.size(2) == x.size(3) else x.mean((2, 3), keepdim=True)
        y = torch.sigmoid(self.up(F.relu(self.down(y))))
        return x * y.view(-1, self.channels, 1, 1)


class Block(nn.Module):
    def __init__(self, cin, cout, stride, groups, se):
        """`se`: None, or {"placement": "pre" (D2se's `se`, before the ReLU) | "post" (RepVGGplus's
        `post_se`, after it), "reduction": r} with out // r internal channels, as the official code."""
        super().__init__()
        self.cin, self.cout, self.stride, self.groups = cin, cout, stride, groups
        placement = None if se is None else se["placement"]
        self.se = SEBlock(cout, cout // se["reduction"]) if placement == "pre" else nn.Identity()
        self.post_se = SEBlock(cout, cout // se["reduction"]) if placement == "post" else nn.Identity()
        self.rbr_identity = nn.BatchNorm2d(cin) if cin == cout and stride == 1 else None
        self.rbr_dense = ConvBN(cin, cout, 3, stride, groups)
        self.rbr_1x1 = ConvBN(cin, cout, 1, stride, groups)

    def forward(self, x):
        if hasattr(self, "rbr_reparam"):
            return self.post_se(F.relu(self.se(self.rbr_reparam(x))))
        identity = 0 if self.rbr_identity is None else self.rbr_identity(x)
        return self.post_se(F.relu(self.se(self.rbr_dense(x) + self.rbr_1x1(x) + identity)))

    def fold(self):
        """Replaces the branches by one 3x3 conv with bias, computed in float64; SE stays as it is."""
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


AUX_STAGES = ("stage1", "stage2", "stage3_first")


class Stage(nn.Module):
    """RepVGGplus's stage: its blocks in a ModuleList called `blocks`."""

    def __init__(self, blocks):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


def aux_head(channels, classes):
    """RepVGGplus's auxiliary classifier after a stage: conv_bn_relu (3x3, stride 2), pooling, linear."""
    down = nn.Sequential()
    down.add_module("conv", nn.Conv2d(channels, channels, 3, 2, 1, bias=False))
    down.add_module("bn", nn.BatchNorm2d(channels))
    down.add_module("relu", nn.ReLU())
    return nn.Sequential(down, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, classes))


def stage_plan(arch):
    """(module name, stage number, width, depth, stride) of each stage after the stem; RepVGGplus
    splits stage 3 into halves (num_blocks[2] // 2 first, the rest stride 1), as the official code."""
    plan = []
    for stage, depth in enumerate(arch["depths"], start=1):
        width, stride = arch["widths"][stage], arch["strides"][stage]
        if arch["layout"] == "repvggplus" and stage == 3:
            plan += [("stage3_first", stage, width, depth // 2, stride), ("stage3_second", stage, width, depth - depth // 2, 1)]
        else:
            plan.append((f"stage{stage}", stage, width, depth, stride))
    return plan


class RepVGG(nn.Module):
    def __init__(self, arch):
        super().__init__()
        cin, se, plus = arch["in_channels"], arch["se"], arch["layout"] == "repvggplus"
        self.stage0 = Block(cin, arch["widths"][0], arch["strides"][0], 1, se)
        cin = arch["widths"][0]
        self.stage_names = []
        for name, stage, width, depth, stride in stage_plan(arch):
            blocks = []
            for index in range(depth):
                g = arch["groups"].get(f"{stage}.{index}", 1)
                blocks.append(Block(cin, width, stride if index == 0 else 1, g, se))
                cin = width
            setattr(self, name, Stage(blocks) if plus else nn.Sequential(*blocks))
            self.stage_names.append(name)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(cin, arch["classes"])
        if plus:
            for name in AUX_STAGES:
                setattr(self, name + "_aux", aux_head(getattr(self, name).blocks[-1].cout, arch["classes"]))

    def forward(self, x):
        """The logits; while training, RepVGGplus returns its auxiliary heads' logits too, as the official forward."""
        x = self.stage0(x)
        heads = {}
        for name in self.stage_names:
            x = getattr(self, name)(x)
            if self.training and hasattr(self, name + "_aux"):
                heads[name + "_aux"] = getattr(self, name + "_aux")(x)
        logits = self.linear(torch.flatten(self.gap(x), 1))
        return dict(heads, main=logits) if heads else logits

    def deploy(self):
        """Folds every block and drops the auxiliary heads, as switch_repvggplus_to_deploy does."""
        for module in list(self.modules()):
            if isinstance(module, Block):
                module.fold()
        for name in AUX_STAGES:
            if hasattr(self, name + "_aux"):
                delattr(self, name + "_aux")
        return self


def to_timm(state_dict):
    """timm's RepVGG names for the same tensors (timm.models.byobnet; D2se's `se` is its SEModule `attn`)."""
    renamed = {}
    for key, value in state_dict.items():
        parts = key.split(".")
        if parts[0] == "stage0":
            parts = ["stem"] + parts[1:]
        elif parts[0].startswith("stage"):
            parts = ["stages", str(int(parts[0][5:]) - 1)] + parts[1:]
        elif parts[0] == "linear":
            parts = ["head", "fc"] + parts[1:]
        names = {"rbr_dense": "conv_kxk", "rbr_1x1": "conv_1x1", "rbr_identity": "identity", "rbr_reparam": "reparam_conv",
                 "se": "attn", "down": "fc1", "up": "fc2"}
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
        if isinstance(module, SEBlock):
            spread_gates(module)
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
        loss = training_loss(model(torch.randn(shape)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    return model.eval(), optimizer, scheduler


def spread_gates(se):
    """Larger `up` weights and biases than PyTorch's initialization, so the gates spread over about 0.1 to 0.9
    instead of all sitting near 0.5."""
    with torch.no_grad():
        se.up.weight.mul_(4)
        nn.init.uniform_(se.up.bias, -2, 2)


def training_loss(outputs):
    """A stand-in for the loss; RepVGGplus's main.py adds its auxiliary heads' losses weighted 0.1."""
    if not isinstance(outputs, dict):
        return outputs.square().mean()
    return sum((0.1 if name.endswith("_aux") else 1) * y.square().mean() for name, y in outputs.items())


def photo_like_images(count, size, generator, dtype=torch.float32):
    """Square images like the C# synthesizer's calibration batch (SyntheticNetwork.RandomImages): per channel an offset,
    three smooth waves and fine noise, as normalised photos are; `dtype` is that of every draw and of the result."""
    y, x = torch.meshgrid(torch.arange(size, dtype=dtype), torch.arange(size, dtype=dtype), indexing="ij")
    images = torch.empty(count, 3, size, size, dtype=dtype)
    for n in range(count):
        for c in range(3):
            u = lambda low, high: low + (high - low) * torch.rand(1, generator=generator, dtype=dtype).item()
            plane = u(-1.5, 1.5) + 0.3 * torch.randn(size, size, generator=generator, dtype=dtype)
            for _ in range(3):
                plane += u(0.2, 0.6) * torch.cos(u(0, 3 * 3.14159 / size) * y + u(0, 3 * 3.14159 / size) * x + u(0, 2 * 3.14159))
            images[n, c] = plane
    return images


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

    def case(self, name, checkpoint, arch, state_dict, deploy, images=None, expect="ok", state_dict_key=None, description="",
             names="official"):
        """Records a case; `state_dict` (official names, the values the compiler must read) gives the reference,
        `names` says whether the checkpoint holds them as they are or renamed by to_timm."""
        if images is None:
            images = torch.randn(2, arch["in_channels"], arch["height"], arch["width"])
        entry = {"name": name, "checkpoint": checkpoint, "expect": expect, "description": description,
                 "state_dict_key": state_dict_key, "shape": list(images.shape), "classes": arch["classes"],
                 "strides": arch["strides"] if any(s != 2 for s in arch["strides"]) else None,
                 "se": None if arch["se"] is None else {"placement": arch["se"]["placement"],
                                                        "layout": "repvggplus" if arch["layout"] == "repvggplus" else names}}
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
            "groups": {"2.1": 2, "3.1": 4}, "classes": 10, "height": 40, "width": 36, "se": None, "layout": "official"}
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
    w.case("timm-train", "timm-train.pth.tar", arch, sd, False, description="timm train.py checkpoint, state_dict chosen",
           names="timm")
    w.case("timm-train-ema", "timm-train.pth.tar", arch, ema.state_dict(), False, state_dict_key="state_dict_ema",
           description="timm train.py checkpoint, StateDictKey=state_dict_ema", names="timm")

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
    w.case("timm-deploy", "timm-deploy.pth", arch, deploy, True, description="deploy-time, timm's reparam_conv", names="timm")

    # A one-channel network trained on small images keeps its resolution in a stride-1 stem.
    small = {"in_channels": 1, "widths": [8, 16, 24, 32, 40], "depths": [1, 2, 1, 1], "strides": [1, 2, 2, 2, 2],
             "groups": {}, "classes": 10, "height": 28, "width": 28, "se": None, "layout": "official"}
    model, _, _ = build(small, seed=99)
    torch.save(model.state_dict(), w.path("stride1-stem.pth"))
    w.case("stride1-stem", "stride1-stem.pth", small, model.state_dict(), False, description="Strides=1,2,2,2,2")


def se_cases(w):
    """Squeeze-and-excitation networks as the official repository builds them: RepVGG-D2se (SE before the
    ReLU, reduction 16) in both namings and at its real width in one stage, and RepVGGplus-L2pse (SE after
    the ReLU, reduction 4, auxiliary heads), each also at a non-square input."""
    d2se = {"in_channels": 3, "widths": [16, 32, 32, 48, 64], "depths": [2, 2, 2, 1], "strides": [2, 2, 2, 2, 2],
            "groups": {}, "classes": 10, "height": 32, "width": 32, "se": {"placement": "pre", "reduction": 16},
            "layout": "official"}
    model, _, _ = build(d2se, seed=16)
    sd = model.state_dict()
    torch.save(sd, w.path("d2se-train.pth"))
    w.case("d2se-train", "d2se-train.pth", d2se, sd, False, description="D2se-style `se` before the ReLU, official names")
    deploy = copy.deepcopy(model).deploy().state_dict()
    torch.save(deploy, w.path("d2se-deploy.pth"))
    w.case("d2se-deploy", "d2se-deploy.pth", d2se, deploy, True, description="D2se-style, deploy-time: rbr_reparam and se")
    torch.save(to_timm(sd), w.path("d2se-timm-train.pth"))
    w.case("d2se-timm-train", "d2se-timm-train.pth", d2se, sd, False, names="timm",
           description="D2se-style under timm's names, attn.fc1 and attn.fc2")
    torch.save(to_timm(deploy), w.path("d2se-timm-deploy.pth"))
    w.case("d2se-timm-deploy", "d2se-timm-deploy.pth", d2se, deploy, True, names="timm",
           description="D2se-style, deploy-time under timm's names: reparam_conv and attn")
    w.case("d2se-nonsquare", "d2se-train.pth", d2se, sd, False, images=torch.randn(2, 3, 40, 24),
           description="d2se-train at 40 x 24: SE takes the whole map's mean")

    # RepVGG-D2se's stem and stage 1: widths min(64, 64 * 2.5) and 64 * 2.5, SE internal 4 and 10.
    full = dict(d2se, widths=[64, 160], depths=[2], strides=[2, 2], height=24, width=24)
    model, _, _ = build(full, seed=160)
    torch.save(model.state_dict(), w.path("d2se-full-width.pth"))
    w.case("d2se-full-width", "d2se-full-width.pth", full, model.state_dict(), False,
           description="D2se's full-width stem (64, SE 4) and stage 1 (160, SE 10)")

    plus = {"in_channels": 3, "widths": [16, 16, 32, 32, 64], "depths": [1, 2, 4, 1], "strides": [2, 2, 2, 2, 2],
            "groups": {}, "classes": 10, "height": 32, "width": 32, "se": {"placement": "post", "reduction": 4},
            "layout": "repvggplus"}
    model, optimizer, _ = build(plus, seed=4)
    sd = model.state_dict()
    # RepVGGplus's main.py (save_checkpoint) also saves the lr_scheduler and its yacs config.
    torch.save({"model": sd, "optimizer": optimizer.state_dict(), "max_accuracy": 80.2, "epoch": 299},
               w.path("plus-train.pth"))
    w.case("plus-train", "plus-train.pth", plus, sd, False,
           description="RepVGGplus-style `post_se` after the ReLU, stage3_first/second, auxiliary heads, main.py's checkpoint")
    deploy = copy.deepcopy(model).deploy().state_dict()
    torch.save(deploy, w.path("plus-deploy.pth"))
    w.case("plus-deploy", "plus-deploy.pth", plus, deploy, True,
           description="RepVGGplus-style, switch_repvggplus_to_deploy: rbr_reparam and post_se, no auxiliary heads")
    w.case("plus-nonsquare", "plus-train.pth", plus, sd, False, images=torch.randn(2, 3, 40, 24),
           description="plus-train at 40 x 24: SE takes the whole map's mean")


def random_case(w, seed):
    """A random architecture: depths, widths (not multiples of 16), groups, input channels, classes,
    input sizes from 1x1 to odd ones, stem stride, training or deploy time, official or timm names, and
    squeeze-and-excitation before or after the ReLU (timm names only before) with one reduction throughout."""
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
            "classes": rng.choice([1, 2, 7, 10, 100, 1000]), "height": height, "width": width, "layout": "official"}
    deploy, timm = rng.random() < 0.3, rng.random() < 0.5
    batch = rng.choice([1, 3])
    placement = rng.choice([None, "pre"] if timm else [None, "pre", None, "post"])
    arch["se"] = None if placement is None else {
        "placement": placement, "reduction": rng.choice([r for r in (1, 2, 4, 8, 16) if min(widths) // r >= 1])}
    model, _, _ = build(arch, seed)
    if deploy:
        model.deploy()
    sd = model.state_dict()
    name = f"random-{seed}"
    torch.save(to_timm(sd) if timm else sd, w.path(name + ".pth"))
    images = torch.randn(batch, arch["in_channels"], height, width)
    se = "no SE" if placement is None else f"{placement}-ReLU SE, internal = out // {arch['se']['reduction']}"
    w.case(name, name + ".pth", arch, sd, deploy, images=images, names="timm" if timm else "official",
           description=f"seed {seed}: {'deploy' if deploy else 'train'}, {'timm' if timm else 'official'} names, {se}, "
                       + json.dumps(arch))


def seeds(text):
    """The seeds `--random-seeds` names, as REPVGG_PYTORCH_SEEDS does: `1-24`, `7,9` or both."""
    result = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        result += range(int(first), int(last or first) + 1)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--random-seeds", default="", help="seeds of random architectures, e.g. 1-24 or 7,9")
    parser.add_argument("--no-named", action="store_true", help="write only the random architectures")
    options = parser.parse_args()
    os.makedirs(options.out, exist_ok=True)
    torch.set_num_threads(1)
    writer = Writer(options.out)
    if not options.no_named:
        named_cases(writer)
        se_cases(writer)
    for seed in seeds(options.random_seeds):
        random_case(writer, seed)
    with open(writer.path("cases.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": writer.cases}, f, indent=1)
    print(f"wrote {len(writer.cases)} cases to {options.out} with torch {torch.__version__}")


if __name__ == "__main__":
    sys.exit(main())
