"""Pooling speed: glasstorch vs PyTorch, forward + backward, side by side in one process.

    python benchmarks/bench_pool.py

Workloads: LeNet-style max/avg pooling (batch 256, 6 channels, 28x28, kernel 2 stride 2) and
ResNet-style max pooling (batch 64, 64 channels, 48x48, kernel 3 stride 2 padding 1).
The ratio printed is PyTorch time / glasstorch time (best of several repeats), so >= 1.0
means glasstorch is at least as fast.
"""

import time

import numpy as np
import torch

import glasstorch

WORKLOADS = [  # name, input shape, pooling function name, arguments
    ("LeNet max k2 s2", (256, 6, 28, 28), "max_pool2d", (2, 2)),
    ("LeNet avg k2 s2", (256, 6, 28, 28), "avg_pool2d", (2, 2)),
    ("ResNet max k3 s2 p1", (64, 64, 48, 48), "max_pool2d", (3, 2, 1)),
    ("ResNet avg k3 s2 p1", (64, 64, 48, 48), "avg_pool2d", (3, 2, 1)),
]


def one_run(lib, x, name, args):
    start = time.perf_counter()
    y = getattr(lib.nn.functional, name)(x, *args)
    y.backward(lib.ones_like(y))
    return time.perf_counter() - start


def main(repeats=15):
    rng = np.random.default_rng(0)
    for label, shape, name, args in WORKLOADS:
        array = rng.standard_normal(shape).astype("float32")
        x = glasstorch.from_numpy(array.copy()).requires_grad_()
        xt = torch.from_numpy(array.copy()).requires_grad_()
        ours, theirs = [], []
        for _ in range(repeats):  # alternating, so both see the same machine load
            ours.append(one_run(glasstorch, x, name, args))
            theirs.append(one_run(torch, xt, name, args))
        ours, theirs = min(ours), min(theirs)
        print(f"{label:22s} glasstorch {ours * 1e3:7.1f} ms   torch {theirs * 1e3:7.1f} ms   "
              f"ratio {theirs / ours:.2f}")


if __name__ == "__main__":
    main()
