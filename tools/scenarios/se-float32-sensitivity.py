#!/usr/bin/env python3
"""How far float32 rounding moves a synthetic, BatchNorm-calibrated RepVGG-D2se (issue #26's full-size check), with
real PyTorch (Debian's python3-torch): the network is built as the C# synthesizer builds it (He-normal convs, BatchNorm
gamma 0.5 to 1 and beta -0.1 to 0.1, running statistics from a batch of photo-like images, units with He-normal
weights), then run in float32 and float64 on two other images; prints the relative L2 between the two every six blocks,
the activations' RMS, and the logits' relative L2.

    /usr/bin/python3 tools/scenarios/se-float32-sensitivity.py MODE [RESOLUTION]   (about 10 s at 64, 2 min at 224)

MODE is a dash-joined list of: `base`; `nose` (no units); `calNN` (NN calibration images instead of 2); `same` (run on
the calibration images themselves); `upwX.XX` (the units' up weights scaled by X.XX: 0.00 makes every gate a constant
per channel); `quietX.X` (the 3x3 and 1x1 branches' gammas scaled by X.X in blocks with an identity branch); `floor`
(each running variance floored at a tenth of its layer's mean, as the C# calibration does); `narrow` (a fifth of the
widths). Not part of CI; docs/measured.md gives what it found.
"""
import copy, math, os, sys
import torch, torch.nn as nn
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "RepVgg.Compiler.Tests", "PyTorch"))
from write_checkpoints import RepVGG, Block, SEBlock, photo_like_images
torch.set_num_threads(2)
R = int(sys.argv[2]) if len(sys.argv) > 2 else 64
mode = sys.argv[1]
photos = lambda n, g: photo_like_images(n, R, g, torch.float64)
arch = {"in_channels": 3, "widths": [64, 160, 320, 640, 2560], "depths": [8, 14, 24, 1], "strides": [2]*5,
        "groups": {}, "classes": 1000, "height": R, "width": R, "se": {"placement": "pre", "reduction": 16}, "layout": "official"}
if "narrow" in mode: arch["widths"] = [32, 40, 80, 160, 320]
if "nose" in mode: arch["se"] = None
torch.manual_seed(1)
m = RepVGG(arch).double()
for mod in m.modules():
    if isinstance(mod, nn.Conv2d) and mod.kernel_size != (1, 1) or isinstance(mod, nn.Conv2d) and mod.bias is None:
        fan = mod.weight[0].numel(); nn.init.normal_(mod.weight, 0, math.sqrt(2.0 / fan))
    if isinstance(mod, nn.BatchNorm2d):
        mod.momentum = None
        nn.init.uniform_(mod.weight, 0.5, 1.0); nn.init.uniform_(mod.bias, -0.1, 0.1)
    if isinstance(mod, SEBlock):
        c, i = mod.channels, mod.down.out_channels
        nn.init.normal_(mod.down.weight, 0, math.sqrt(2.0 / c)); nn.init.normal_(mod.down.bias, 0, 0.1)
        nn.init.normal_(mod.up.weight, 0, math.sqrt(2.0 / i) * (float(mode.split("upw")[1][:4]) if "upw" in mode else 1)); nn.init.normal_(mod.up.bias, 0, 0.5)
for b in m.modules():
    if isinstance(b, Block):
        if "quiet" in mode and b.rbr_identity is not None:
            for br in (b.rbr_dense.bn, b.rbr_1x1.bn): br.weight.data.mul_(float(mode.split("quiet")[1][:3]))
g = torch.Generator().manual_seed(3)
m.train()
with torch.no_grad(): m(photos(int(mode.split("cal")[1][:2]) if "cal" in mode else 2, g))
m.eval()
if "floor" in mode:
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            v = mod.running_var; v.clamp_(min=max(0.1 * v.mean().item(), 1e-6))
test = photos(2, torch.Generator().manual_seed(3)) if "same" in mode else photos(2, g)
with torch.no_grad():
    # per-block divergence
    x64, x32 = test, test.float(); m32 = copy.deepcopy(m).float()
    blocks64 = [m.stage0] + [blk for s in m.stage_names for blk in getattr(m, s)]
    blocks32 = [m32.stage0] + [blk for s in m32.stage_names for blk in getattr(m32, s)]
    for k, (b64, b32) in enumerate(zip(blocks64, blocks32)):
        x64, x32 = b64(x64), b32(x32)
        if k % 6 == 0 or k == len(blocks64) - 1:
            e = (x32.double() - x64).norm() / x64.norm()
            print(f"block {k:2d}: rel {e:.2e} rms {x64.square().mean().sqrt():.2e}")
    l64 = m.linear(torch.flatten(m.gap(x64), 1)); l32 = m32.linear(torch.flatten(m32.gap(x32), 1))
    print(mode, "logits rel", ((l32.double() - l64).norm() / l64.norm()).item())
