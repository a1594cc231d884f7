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


def best_time(lib, array, name, args, repeats=7):
    x = lib.from_numpy(array.copy()).requires_grad_()
    pool = getattr(lib.nn.functional, name)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        y = pool(x, *args)
        y.backward(lib.ones_like(y))
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    rng = np.random.default_rng(0)
    for label, shape, name, args in WORKLOADS:
        array = rng.standard_normal(shape).astype("float32")
        ours = best_time(glasstorch, array, name, args)
        theirs = best_time(torch, array, name, args)
        print(f"{label:22s} glasstorch {ours * 1e3:7.1f} ms   torch {theirs * 1e3:7.1f} ms   "
              f"ratio {theirs / ours:.2f}")


if __name__ == "__main__":
    main()
