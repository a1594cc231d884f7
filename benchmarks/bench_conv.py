"""Convolution speed: glasstorch vs PyTorch, forward + backward, side by side in one process.

    python benchmarks/bench_conv.py

Workloads: a LeNet-sized conv (batch 256, 1 -> 6 channels, 28x28, kernel 5 padding 2; the
input needs no gradient, as for a first layer) and a ResNet-sized one (batch 64, 64 -> 64
channels, 24x24, kernel 3 padding 1; input, weight and bias gradients). The upstream gradient
is a random array, as in training. The two libraries run interleaved (so both see the same
machine load); the ratio printed is PyTorch time / glasstorch time of the best repeats, so
>= 1.0 means glasstorch is at least as fast.
"""

import time

import numpy as np
import torch

import glasstorch

WORKLOADS = [  # name, input shape, weight shape, padding
    ("LeNet 1->6 28x28 k5", (256, 1, 28, 28), (6, 1, 5, 5), 2),
    ("ResNet 64->64 24x24 k3", (64, 64, 24, 24), (64, 64, 3, 3), 1),
]


def step(lib, arrays, padding):
    x, w, b, grad = arrays
    x = lib.from_numpy(x).requires_grad_(x.shape[1] > 1)
    w = lib.from_numpy(w).requires_grad_()
    b = lib.from_numpy(b).requires_grad_()
    start = time.perf_counter()
    y = lib.nn.functional.conv2d(x, w, b, padding=padding)
    middle = time.perf_counter()
    y.backward(lib.from_numpy(grad))
    return middle - start, time.perf_counter() - start


def main(repeats=15):
    rng = np.random.default_rng(0)
    for label, x_shape, w_shape, padding in WORKLOADS:
        y_shape = (x_shape[0], w_shape[0], *x_shape[2:])
        arrays = [rng.standard_normal(s).astype("float32")
                  for s in (x_shape, w_shape, w_shape[:1], y_shape)]
        best = {glasstorch: [np.inf, np.inf], torch: [np.inf, np.inf]}
        for _ in range(repeats):
            for lib, so_far in best.items():
                times = step(lib, arrays, padding)
                best[lib] = [min(a, t) for a, t in zip(so_far, times)]
        (ours_f, ours), (theirs_f, theirs) = best[glasstorch], best[torch]
        print(f"{label:24s} forward+backward: glasstorch {ours * 1e3:6.1f} ms  torch "
              f"{theirs * 1e3:6.1f} ms  ratio {theirs / ours:.2f}   forward only: ratio "
              f"{theirs_f / ours_f:.2f}")


if __name__ == "__main__":
    main()
