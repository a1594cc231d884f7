"""Core speed: glasstorch vs PyTorch, side by side in one process.

    python benchmarks/bench_core.py

Workloads (issue 2):
- chain: 1000 small elementwise ops on a (10,) tensor, then backward;
- linreg: d2l's linear regression from scratch (1000 samples, batch 10, 3 epochs).
Each is timed as the best of several repeats; the ratio printed is
PyTorch time / glasstorch time, so >= 1.0 means glasstorch is at least as fast.
"""

import random
import sys
import time

import torch

import glasstorch


def chain(lib):
    x = lib.ones(10, requires_grad=True)
    y = x
    for _ in range(250):  # 4 ops per step: 1000 ops
        y = y * 0.999
        y = y + 0.001
        y = y.tanh()
        y = y - 0.0005
    y.sum().backward()
    return x.grad


def linreg(lib, features, labels):
    features, labels = lib.tensor(features), lib.tensor(labels)
    w = lib.zeros((2, 1), requires_grad=True)
    b = lib.zeros(1, requires_grad=True)
    lr, batch_size = 0.03, 10
    rng = random.Random(0)
    for _ in range(3):
        indices = list(range(len(features)))
        rng.shuffle(indices)
        for i in range(0, len(indices), batch_size):
            batch = lib.tensor(indices[i: i + batch_size])
            X, y = features[batch], labels[batch]
            l = ((lib.matmul(X, w) + b - y.reshape(-1, 1)) ** 2 / 2).sum()
            l.backward()
            with lib.no_grad():
                for param in (w, b):
                    param -= lr * param.grad / batch_size
                    param.grad.zero_()
    return w


def best_times(fn, repeats):
    """Best time of each library, the two runs interleaved so both see the same machine load."""
    best = {glasstorch: float("inf"), torch: float("inf")}
    for _ in range(repeats):
        for lib in best:
            start = time.perf_counter()
            fn(lib)
            best[lib] = min(best[lib], time.perf_counter() - start)
    return best[glasstorch], best[torch]


def main():
    torch.set_num_threads(1)  # small tensors: threads only add overhead for PyTorch
    gen = random.Random(1)
    features = [[gen.gauss(0, 1), gen.gauss(0, 1)] for _ in range(1000)]
    labels = [2 * a - 3.4 * c + 4.2 for a, c in features]
    workloads = {
        "chain of 1000 elementwise ops + backward": (lambda lib: chain(lib), 30),
        "linear regression from scratch, 3 epochs": (lambda lib: linreg(lib, features, labels), 5),
    }
    print(f"{'workload':45s} {'glasstorch':>11s} {'pytorch':>11s} {'speed ratio':>12s}")
    for name, (fn, repeats) in workloads.items():
        ours, theirs = best_times(fn, repeats)
        print(f"{name:45s} {ours * 1e3:9.1f}ms {theirs * 1e3:9.1f}ms {theirs / ours:11.2f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
