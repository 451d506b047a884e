#!/usr/bin/env python3
"""Checks `repvgg fuse` against PyTorch, in two steps run by FusePyTorchTests:

    python3 fuse_check.py write OUT_DIR    # a training-time checkpoint, train.pth, as users save one
    python3 fuse_check.py check OUT_DIR    # after the tool wrote deploy.pth and deploy-timm.pth from it

`check` loads deploy.pth with strict=True into write_checkpoints.py's RepVGG in deploy mode and prints,
as one JSON line, how far its float64 logits are from the training-time model's eval logits on the
same input, whether deploy-timm.pth holds the same tensors under timm's names, and both models'
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
        "groups": {"2.1": 2, "2.2": 4, "3.1": 8}, "classes": 7, "height": 29, "width": 23}


def main():
    step, out = sys.argv[1], sys.argv[2]
    if step == "write":
        model, _, _ = build(ARCH, seed=77)
        torch.save(model.state_dict(), os.path.join(out, "train.pth"))
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
    }))


if __name__ == "__main__":
    main()
