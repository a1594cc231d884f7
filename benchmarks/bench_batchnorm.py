"""BatchNorm2d speed: glasstorch vs PyTorch, forward + backward, side by side in one process.

    python benchmarks/bench_batchnorm.py

Workloads: LeNet's first BatchNorm2d (batch 256, 6 channels, 28x28) and a ResNet-sized one
(batch 64, 64 channels, 24x24), in training mode with a random incoming gradient.
The ratio printed is PyTorch time / glasstorch time (best of several repeats, the two
libraries interleaved), so >= 1.0 means glasstorch is at least as fast.
"""

import time

import numpy as np
import torch

import glasstorch

SHAPES = [("LeNet BatchNorm2d", (256, 6, 28, 28)), ("ResNet BatchNorm2d", (64, 64, 24, 24))]


def one_step(lib, net, x, grad):
    start = time.perf_counter()
    net(x).backward(grad)
    return time.perf_counter() - start


def main(repeats=9):
    rng = np.random.default_rng(0)
    for label, shape in SHAPES:
        array = rng.standard_normal(shape).astype("float32") * 2 + 1
        grad = rng.standard_normal(shape).astype("float32")
        runs = {}
        for lib in (glasstorch, torch):
            runs[lib] = (lib.nn.BatchNorm2d(shape[1]), lib.from_numpy(array).requires_grad_(),
                         lib.from_numpy(grad), [])
        for _ in range(repeats):  # interleaved, so both see the same machine load
            for lib, (net, x, g, times) in runs.items():
                times.append(one_step(lib, net, x, g))
        ours, theirs = min(runs[glasstorch][3]), min(runs[torch][3])
        print(f"{label:20s} {shape!s:18s} glasstorch {ours * 1e3:7.1f} ms   "
              f"torch {theirs * 1e3:7.1f} ms   ratio {theirs / ours:.2f}")


if __name__ == "__main__":
    main()
