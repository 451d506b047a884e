"""Trains a small RepVGG on Fashion-MNIST for samples/FashionMnist: about 7 minutes on two CPU cores.

Run from the repository root (PyTorch 1.13 and numpy; on Debian: apt-get install python3-torch
dataset-fashion-mnist):

    python3 tools/train/fashion_mnist.py

(Debian's python3-torch lives in the system Python: where a pyenv or venv python3 comes first on
the PATH, run /usr/bin/python3 instead.) It reads the four idx files of Fashion-MNIST (default /usr/share/datasets/fashion-mnist, as the
Debian package installs them; --data to change) and writes, in samples/FashionMnist/model
(--out to change):

- fashion-mnist-repvgg-train.pth: the training-time state_dict (three branches per block, the
  official RepVGG names), saved with torch.save(model.state_dict(), ...);
- fashion-mnist-repvgg.pytorch.json: what PyTorch computes on the 10,000 test images in eval
  mode: the test accuracy in float32, the argmax of every image in float32 and in float64
  (model.double()), the preprocessing constants, the strides, and how the run went.

The run is seeded and single-process on two threads, so it is repeatable on one machine; other
CPUs or thread counts may round differently and end on slightly different weights.
"""

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

# Preprocessing, the same in the C# sample (samples/FashionMnist/FashionMnistTestSet.cs), in float32:
# x = (pixel / 255 - MEAN) / STD. MEAN and STD are the training set's pixel mean and standard
# deviation on the 0..1 scale, rounded to four digits and fixed here rather than recomputed.
PIXEL_SCALE = 255.0
MEAN = 0.2860
STD = 0.3530

# Architecture. 28 x 28 is small, so the stem keeps the full resolution (stride 1) and the four
# stages halve it: 28 -> 28 -> 14 -> 7 -> 4 -> 2. Widths 16 | 32/64/128/256 double per stage, as
# in RepVGG; depths 1/2/2/1 put the extra blocks at 7 x 7 and 4 x 4, where they are cheap. That
# is 0.65 M parameters: a 2.6 MB checkpoint to commit, about 8 M multiply-adds per image once
# fused, and an epoch of 60,000 images in about 70 s on two cores, over 90% test accuracy in
# a few epochs.
STEM_WIDTH = 16
STAGE_WIDTHS = [32, 64, 128, 256]
STAGE_DEPTHS = [1, 2, 2, 1]
STRIDES = [1, 2, 2, 2, 2]  # stem, then the first block of each stage; recorded in the JSON


class ConvBn(nn.Sequential):
    """A convolution without bias followed by BatchNorm: `.conv` and `.bn`."""

    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super().__init__()
        self.add_module("conv", nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                                          padding=kernel_size // 2, bias=False))
        self.add_module("bn", nn.BatchNorm2d(out_channels))


class RepVggBlock(nn.Module):
    """The training-time block: 3x3 conv+BN, 1x1 conv+BN and, when shapes allow, a BN alone; summed, then ReLU."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.rbr_identity = (nn.BatchNorm2d(in_channels)
                             if in_channels == out_channels and stride == 1 else None)
        self.rbr_dense = ConvBn(in_channels, out_channels, 3, stride)
        self.rbr_1x1 = ConvBn(in_channels, out_channels, 1, stride)
        self.nonlinearity = nn.ReLU()

    def forward(self, x):
        y = self.rbr_dense(x) + self.rbr_1x1(x)
        if self.rbr_identity is not None:
            y = y + self.rbr_identity(x)
        return self.nonlinearity(y)


class RepVgg(nn.Module):
    """stage0 (the stem block), stage1..stage4 (sequences of blocks), global average pooling, linear."""

    def __init__(self, in_channels, stem_width, widths, depths, strides, classes):
        super().__init__()
        self.stage0 = RepVggBlock(in_channels, stem_width, strides[0])
        channels = stem_width
        for stage, (width, depth, stride) in enumerate(zip(widths, depths, strides[1:]), start=1):
            blocks = []
            for i in range(depth):
                blocks.append(RepVggBlock(channels, width, stride if i == 0 else 1))
                channels = width
            setattr(self, f"stage{stage}", nn.Sequential(*blocks))
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(channels, classes)

    def forward(self, x):
        x = self.stage0(x)
        x = self.stage4(self.stage3(self.stage2(self.stage1(x))))
        return self.linear(torch.flatten(self.gap(x), 1))


def read_idx(path, magic):
    """An idx file (gzip) as a uint8 array: magic 2049 for labels (N), 2051 for images (N, 28, 28)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    found = int.from_bytes(data[0:4], "big")
    if found != magic:
        raise ValueError(f"{path}: magic {found}, expected {magic}")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(magic - 2048)]
    header = 4 + 4 * len(dims)
    array = np.frombuffer(data, dtype=np.uint8, offset=header)
    if array.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {array.size} bytes of data for shape {dims}")
    return array.reshape(dims)


def load_split(folder, split):
    images = read_idx(os.path.join(folder, f"{split}-images-idx3-ubyte.gz"), 2051)
    labels = read_idx(os.path.join(folder, f"{split}-labels-idx1-ubyte.gz"), 2049)
    return images, labels.astype(np.int64)


def preprocess(images):
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28), each step in float32 exactly as the C# sample does it."""
    x = images.astype(np.float32) / np.float32(PIXEL_SCALE)
    x = (x - np.float32(MEAN)) / np.float32(STD)
    return np.ascontiguousarray(x[:, None, :, :])


def augment(x, generator):
    """Random horizontal flips and shifts of up to 2 pixels (zero-padded crop), per image."""
    n = x.shape[0]
    flip = torch.rand(n, generator=generator) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    padded = F.pad(x, (2, 2, 2, 2), value=float((0.0 - MEAN) / STD))  # pad with the value of a black pixel
    dy = torch.randint(0, 5, (n,), generator=generator)
    dx = torch.randint(0, 5, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(28)[None, :])[:, None, :, None].expand(n, 1, 28, 32)
    x = padded.gather(2, rows)
    cols = (dx[:, None] + torch.arange(28)[None, :])[:, None, None, :].expand(n, 1, 28, 28)
    return x.gather(3, cols)


@torch.no_grad()
def predict(model, x, batch=1000):
    """Logits for x in eval mode, in model's dtype."""
    model.eval()
    return torch.cat([model(x[i:i + batch]) for i in range(0, x.shape[0], batch)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--out", default=os.path.join("samples", "FashionMnist", "model"))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=20251129)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)

    train_images, train_labels = load_split(args.data, "train")
    test_images, test_labels = load_split(args.data, "t10k")
    x_train = torch.from_numpy(preprocess(train_images))
    y_train = torch.from_numpy(train_labels)
    x_test_array = preprocess(test_images)
    x_test = torch.from_numpy(x_test_array)
    y_test = torch.from_numpy(test_labels)
    print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)

    model = RepVgg(1, STEM_WIDTH, STAGE_WIDTHS, STAGE_DEPTHS, STRIDES, len(CLASS_NAMES))
    parameters = sum(p.numel() for p in model.parameters())
    print(f"{parameters} parameters", flush=True)

    # SGD with Nesterov momentum, one-cycle learning rate over all steps; no weight decay on BN
    # and biases, which it would only pull towards zero.
    decay = [p for name, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for name, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4},
                                 {"params": no_decay, "weight_decay": 0.0}],
                                lr=args.lr, momentum=0.9, nesterov=True)
    steps_per_epoch = (x_train.shape[0] + args.batch - 1) // args.batch
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                   steps_per_epoch=steps_per_epoch, pct_start=0.2)

    started = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(x_train.shape[0], generator=generator)
        loss_sum, correct = 0.0, 0
        for step in range(steps_per_epoch):
            index = order[step * args.batch:(step + 1) * args.batch]
            x, y = augment(x_train[index], generator), y_train[index]
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.item() * y.shape[0]
            correct += (logits.argmax(1) == y).sum().item()
        test_accuracy = (predict(model, x_test).argmax(1) == y_test).float().mean().item()
        print(f"epoch {epoch}/{args.epochs}: loss {loss_sum / x_train.shape[0]:.4f}, "
              f"train accuracy {100 * correct / x_train.shape[0]:.2f}%, "
              f"test accuracy {100 * test_accuracy:.2f}%, {time.time() - started:.0f} s", flush=True)
    training_seconds = time.time() - started

    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, "fashion-mnist-repvgg-train.pth")
    torch.save(model.state_dict(), checkpoint)

    # What the compiled network is checked against: eval mode (BatchNorm running statistics),
    # float32 as trained, and float64 (model.double()), the reference for rounding.
    argmax32 = predict(model, x_test).argmax(1)
    argmax64 = predict(model.double(), x_test.double()).argmax(1)
    accuracy32 = (argmax32 == y_test).double().mean().item()
    accuracy64 = (argmax64 == y_test).double().mean().item()
    with open(checkpoint, "rb") as f:
        checkpoint_sha256 = hashlib.sha256(f.read()).hexdigest()
    results = {
        "checkpoint": os.path.basename(checkpoint),
        "checkpoint_sha256": checkpoint_sha256,
        "classes": CLASS_NAMES,
        "architecture": {"in_channels": 1, "stem_width": STEM_WIDTH, "stage_widths": STAGE_WIDTHS,
                         "stage_depths": STAGE_DEPTHS, "strides": STRIDES, "parameters": parameters},
        "preprocessing": {
            "formula": "float32: (pixel / scale - mean) / std",
            "scale": PIXEL_SCALE, "mean": MEAN, "std": STD,
            # SHA-256 of the preprocessed test set as little-endian float32, N x 1 x 28 x 28:
            # C# code that preprocesses the same way reproduces it bit for bit.
            "test_images_float32_sha256": hashlib.sha256(x_test_array.astype("<f4").tobytes()).hexdigest(),
        },
        "test_images": int(x_test.shape[0]),
        "test_accuracy_float32": accuracy32,
        "test_accuracy_float64": accuracy64,
        "argmax_float32_float64_differences": int((argmax32 != argmax64).sum().item()),
        "training": {"epochs": args.epochs, "batch": args.batch, "max_lr": args.lr, "seed": args.seed,
                     "threads": torch.get_num_threads(), "seconds": round(training_seconds, 1),
                     "torch": torch.__version__},
        "argmax_float32": argmax32.tolist(),
        "argmax_float64": argmax64.tolist(),
    }
    results_path = os.path.join(args.out, "fashion-mnist-repvgg.pytorch.json")
    # One key per line; the two lists of 10,000 classes each on one line.
    text = json.dumps(results, indent=1)
    text = re.sub(r"\[\s+(\d[\d,\s]*?)\s+\]", lambda m: "[" + re.sub(r"\s+", "", m.group(1)) + "]", text)
    with open(results_path, "w") as f:
        f.write(text + "\n")
    print(f"wrote {checkpoint} ({os.path.getsize(checkpoint)} bytes) and {results_path}")
    print(f"test accuracy: float32 {100 * accuracy32:.2f}%, float64 {100 * accuracy64:.2f}%, "
          f"{results['argmax_float32_float64_differences']} argmax differences; "
          f"{training_seconds:.0f} s of training")


if __name__ == "__main__":
    main()
