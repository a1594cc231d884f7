"""Training speed: glasstorch vs PyTorch, side by side in one process (issue 3).

    python benchmarks/bench_training.py

- linreg-concise: d2l's concise linear regression (nn.Linear, MSELoss, optim.SGD,
  DataLoader), 1000 samples, batch 10, 3 epochs;
- mlp: a 784-256-10 ReLU MLP with CrossEntropyLoss and SGD on Fashion-MNIST-sized
  data (random 28x28 images, batch 256), reported in images per second.
The ratio is glasstorch speed / PyTorch speed: >= 1.0 means glasstorch is as fast.
Both libraries use the machine's default threads (numpy's BLAS and PyTorch's).
"""

import time

import numpy as np
import torch

import glasstorch


def linreg_concise(lib, features, labels):
    from_numpy = lib.from_numpy
    dataset = lib.utils.data.TensorDataset(from_numpy(features), from_numpy(labels))
    data_iter = lib.utils.data.DataLoader(dataset, batch_size=10, shuffle=True)
    net = lib.nn.Sequential(lib.nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    loss = lib.nn.MSELoss()
    trainer = lib.optim.SGD(net.parameters(), lr=0.03)
    for _ in range(3):
        for X, y in data_iter:
            l = loss(net(X), y)
            trainer.zero_grad()
            l.backward()
            trainer.step()
    return len(features) * 3


def mlp(lib, images, labels, steps=20, batch_size=256):
    nn = lib.nn
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    loss = nn.CrossEntropyLoss()
    trainer = lib.optim.SGD(net.parameters(), lr=0.1)
    X_all, y_all = lib.from_numpy(images), lib.from_numpy(labels)
    for step in range(steps):
        start = (step * batch_size) % (len(images) - batch_size)
        X, y = X_all[start:start + batch_size], y_all[start:start + batch_size]
        l = loss(net(X), y)
        trainer.zero_grad()
        l.backward()
        trainer.step()
    return steps * batch_size


def best_speeds(fn, repeats):
    """Items per second for each library, runs interleaved so both see the same load."""
    best = {glasstorch: 0.0, torch: 0.0}
    for _ in range(repeats):
        for lib in best:
            lib.manual_seed(0)
            start = time.perf_counter()
            items = fn(lib)
            best[lib] = max(best[lib], items / (time.perf_counter() - start))
    return best[glasstorch], best[torch]


def main():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((1000, 2)).astype(np.float32)
    labels = (features @ np.array([[2.0], [-3.4]], np.float32) + 4.2).astype(np.float32)
    images = rng.random((6000, 1, 28, 28), dtype=np.float32)
    classes = rng.integers(0, 10, 6000)
    workloads = {
        "linear regression, concise (examples/s)": (
            lambda lib: linreg_concise(lib, features, labels), 3),
        "MLP 784-256-10, batch 256 (images/s)": (lambda lib: mlp(lib, images, classes), 5),
    }
    print(f"{'workload':42s} {'glasstorch':>11s} {'pytorch':>11s} {'speed ratio':>12s}")
    for name, (fn, repeats) in workloads.items():
        ours, theirs = best_speeds(fn, repeats)
        print(f"{name:42s} {ours:11.0f} {theirs:11.0f} {ours / theirs:11.2f}x")


if __name__ == "__main__":
    main()
