#!/usr/bin/env python3
"""Checks `repvgg fuse` against PyTorch, in two steps run by FusePyTorchTests:

    python3 fuse_check.py write OUT_DIR    # training-time checkpoints as users save them: train.pth, and the
                                           # squeeze-and-excitation networks d2se-train.pth and plus-train.pth
    python3 fuse_check.py check OUT_DIR    # after the tool wrote deploy.pth and deploy-timm.pth from train.pth,
                                           # d2se-deploy.pth and plus-deploy.pth from the others

`check` loads each deploy file with strict=True into write_checkpoints.py's RepVGG in deploy mode and prints,
as one JSON line, how far its float64 logits are from the training-time model's eval logits on the
same input, whether deploy-timm.pth holds the same tensors under timm's names, and the plain network's
parameter counts (sum of numel over model.parameters()).
"""

import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "RepVgg.Compiler.Tests", "PyTorch"))
from write_checkpoints import RepVGG, build, to_timm  # noqa: E402

# Grouped blocks, identity branches, a stride-1 stem, odd input size: what fusion can get wrong.
ARCH = {"in_channels": 3, "widths": [16, 24, 24, 40, 64], "depths": [2, 3, 2, 1], "strides": [1, 2, 2, 2, 2],
        "groups": {"2.1": 2, "2.2": 4, "3.1": 8}, "classes": 7, "height": 29, "width": 23, "se": None, "layout": "official"}

# RepVGG-D2se's squeeze-and-excitation before the ReLU, and RepVGGplus-L2pse's after it in its split-stage layout
# with auxiliary classifiers, which the deploy file must not hold.
SQUEEZED = {
    "d2se": dict(ARCH, widths=[16, 32, 32, 48, 64], groups={}, strides=[2, 2, 2, 2, 2], height=32, width=32,
                 se={"placement": "pre", "reduction": 16}),
    "plus": dict(ARCH, widths=[16, 16, 32, 32, 64], depths=[1, 2, 4, 1], groups={}, strides=[2, 2, 2, 2, 2], height=32, width=32,
                 se={"placement": "post", "reduction": 4}, layout="repvggplus"),
}


def compare(arch, train_file, deploy_file):
    """How far the deploy file's float64 logits are from the training-time model's; the deploy file loads strictly."""
    train = RepVGG(arch)
    train.load_state_dict(torch.load(train_file), strict=True)
    train.double().eval()
    deploy = RepVGG(arch).deploy()
    deploy.load_state_dict(torch.load(deploy_file), strict=True)
    deploy.double().eval()
    torch.manual_seed(5)
    images = torch.randn(4, arch["in_channels"], arch["height"], arch["width"], dtype=torch.float64)
    with torch.no_grad():
        expected, actual = train(images), deploy(images)
    return {"relative_l2": ((actual - expected).norm() / expected.norm()).item(), "logits_norm": expected.norm().item()}


def main():
    step, out = sys.argv[1], sys.argv[2]
    if step == "write":
        model, _, _ = build(ARCH, seed=77)
        torch.save(model.state_dict(), os.path.join(out, "train.pth"))
        for name, arch in SQUEEZED.items():
            model, _, _ = build(arch, seed=78)
            torch.save(model.state_dict(), os.path.join(out, f"{name}-train.pth"))
        return

    train = RepVGG(ARCH)
    train.load_state_dict(torch.load(os.path.join(out, "train.pth")), strict=True)
    train.double().eval()
    deploy = RepVGG(ARCH).deploy()
    fused = torch.load(os.path.join(out, "deploy.pth"))
    deploy.load_state_dict(fused, strict=True)
    deploy.double().eval()

    torch.manual_seed(5)
    images = torch.randn(4, ARCH["in_channels"], ARCH["height"], ARCH["width"], dtype=torch.float64)
    with torch.no_grad():
        expected, actual = train(images), deploy(images)
    timm = torch.load(os.path.join(out, "deploy-timm.pth"))
    renamed = to_timm(fused)
    print(json.dumps({
        "relative_l2": ((actual - expected).norm() / expected.norm()).item(),
        "max_abs": (actual - expected).abs().max().item(),
        "logits_norm": expected.norm().item(),
        "timm_same": list(timm.keys()) == list(renamed.keys()) and all(torch.equal(timm[k], renamed[k]) for k in renamed),
        "train_parameters": sum(p.numel() for p in train.parameters()),
        "deploy_parameters": sum(p.numel() for p in deploy.parameters()),
        "squeezed": {name: compare(arch, os.path.join(out, f"{name}-train.pth"), os.path.join(out, f"{name}-deploy.pth"))
                     for name, arch in SQUEEZED.items()},
    }))


if __name__ == "__main__":
    main()
