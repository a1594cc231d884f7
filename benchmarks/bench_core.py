"""Small tensors: glasstorch vs PyTorch on the book's from-scratch programs (issue 11).

    python benchmarks/bench_core.py
    python benchmarks/bench_core.py --only chain,ops     # a subset (prefixes of the names)

Both libraries run the same code in this process, at their default threads, interleaved (so
both see the same machine load); each workload counts the best of several repeats. The ratio
is PyTorch's time / glasstorch's time: >= 1.0 means glasstorch is at least as fast.

Workloads:
- linreg: d2l 3.2, linear regression from scratch: 1000 samples, batch 10, 3 epochs, with the
  book's data_iter (`torch.tensor(indices)`, `features[batch_indices]`), its squared_loss and
  its sgd (`param -= lr * param.grad / batch_size`, `param.grad.zero_()`);
- airfoil: d2l 12.5, minibatch SGD with train_ch11 on airfoil-shaped data (1500 x 5, batch 10,
  2 epochs, TensorDataset + DataLoader as d2l.load_array, `p.data.sub_(lr * p.grad)`, the
  loss over the whole data every 200 examples as train_ch11's evaluate_loss; no plotting);
- chain: 1000 ops on a (10,) tensor cycling tanh, `* 0.01`, `+ y`, `- cs` (y is used twice:
  a DAG), timed per op forward (recording the graph), per node in backward, and per op under
  no_grad;
- single ops, per call, on the book's shapes: matmul (10, 2) @ (2, 1) with grad, a (1,) bias
  added to (10, 1) with grad, sum() and float(t.sum()) of (10, 1), tensor * scalar, tanh and
  reshape of (10, 1) with grad.
"""

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # glasstorch of this checkout
import glasstorch  # noqa: E402
import torch  # noqa: E402

LIBS = (glasstorch, torch)


# ---- d2l 3.2: linear regression from scratch ----

def data_iter(lib, batch_size, features, labels, rng):
    num_examples = len(features)
    indices = list(range(num_examples))
    rng.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = lib.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    return X.matmul(w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(lib, params, lr, batch_size):
    with lib.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def linear_regression_scratch(lib, data):
    features, labels = (lib.from_numpy(a.copy()) for a in data)
    lib.manual_seed(0)
    w = lib.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = lib.zeros(1, requires_grad=True)
    lr, batch_size, rng = 0.03, 10, random.Random(0)
    for _ in range(3):
        for X, y in data_iter(lib, batch_size, features, labels, rng):
            l = squared_loss(linreg(X, w, b), y)
            l.sum().backward()
            sgd(lib, [w, b], lr, batch_size)
        with lib.no_grad():
            float(squared_loss(linreg(features, w, b), labels).mean())
    return w


# ---- d2l 12.5: minibatch SGD with train_ch11 ----

def evaluate_loss(lib, net, data_iter, loss):
    total, count = 0.0, 0
    with lib.no_grad():
        for X, y in data_iter:
            out = net(X)
            l = loss(out, y.reshape(out.shape))
            total += float(l.sum())
            count += l.numel()
    return total / count


def train_ch11(lib, data, batch_size=10, num_epochs=2, lr=0.05):
    features, labels = (lib.from_numpy(a.copy()) for a in data)
    dataset = lib.utils.data.TensorDataset(features, labels)
    lib.manual_seed(0)
    data_iter = lib.utils.data.DataLoader(dataset, batch_size, shuffle=True)
    w = lib.normal(mean=0.0, std=0.01, size=(features.shape[1], 1), requires_grad=True)
    b = lib.zeros((1), requires_grad=True)
    net, loss = (lambda X: linreg(X, w, b)), squared_loss
    n = 0
    for _ in range(num_epochs):
        for X, y in data_iter:
            l = loss(net(X), y).mean()
            l.backward()
            for p in (w, b):
                p.data.sub_(lr * p.grad)
                p.grad.data.zero_()
            n += X.shape[0]
            if n % 200 == 0:
                evaluate_loss(lib, net, data_iter, loss)
    return w


# ---- the chain: 1000 ops, a DAG ----

def chain_inputs(lib):
    lib.manual_seed(0)
    return lib.randn(10, requires_grad=True), lib.randn(10)


def chain(x, cs):
    y = x
    for _ in range(250):  # 4 ops a step: 1000 ops
        t = y.tanh()
        t = t * 0.01
        t = t + y
        y = t - cs
    return y


def chain_forward(lib):
    x, cs = chain_inputs(lib)
    return time_it(lambda: chain(x, cs), 1) / 1000


def chain_backward(lib):
    x, cs = chain_inputs(lib)
    total = 0.0
    for _ in range(5):  # a fresh graph each time; time backward alone
        loss = chain(x, cs).sum()
        start = time.perf_counter()
        loss.backward()
        total = min(total or float("inf"), time.perf_counter() - start)
    return total / 1001  # nodes: 1000 ops and the sum


def chain_no_grad(lib):
    x, cs = chain_inputs(lib)
    with lib.no_grad():
        return time_it(lambda: chain(x, cs), 1) / 1000


# ---- single ops ----

def single_ops(lib):
    lib.manual_seed(0)
    X = lib.randn(10, 2)
    w = lib.randn(2, 1, requires_grad=True)
    t = lib.randn(10, 1, requires_grad=True)
    bias = lib.randn(1, requires_grad=True)
    return {
        "matmul (10,2)@(2,1), grad": lambda: X.matmul(w),
        "add (10,1) + (1,) bias, grad": lambda: t + bias,
        "sum() of (10,1), grad": lambda: t.sum(),
        "float(t.sum()), grad": lambda: float(t.sum()),
        "tensor * scalar, grad": lambda: t * 0.5,
        "tanh, grad": lambda: t.tanh(),
        "reshape(-1), grad": lambda: t.reshape(-1),
    }


def time_it(fn, calls):
    """Seconds per call of fn(), the best of 5 runs of `calls` calls."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def interleaved(measure, repeats=3):
    """{lib: best of measure(lib)} over repeats, the libraries taking turns."""
    best = dict.fromkeys(LIBS, float("inf"))
    for _ in range(repeats):
        for lib in LIBS:
            best[lib] = min(best[lib], measure(lib))
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated name prefixes")
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    features = rng.normal(0, 1, (1000, 2)).astype(np.float32)
    labels = (features @ np.array([2, -3.4], np.float32) + 4.2
              + rng.normal(0, 0.01, 1000).astype(np.float32)).reshape(-1, 1)
    airfoil = rng.normal(0, 1, (1500, 5)).astype(np.float32)
    airfoil_labels = (airfoil @ rng.normal(0, 1, 5).astype(np.float32)).astype(np.float32)
    workloads = [  # name, unit, measure(lib) -> seconds
        ("linreg from scratch (d2l 3.2), 3 epochs", "ms", lambda lib: time_it(
            lambda: linear_regression_scratch(lib, (features, labels)), 1)),
        ("airfoil train_ch11 (d2l 12.5), batch 10, 2 epochs", "ms", lambda lib: time_it(
            lambda: train_ch11(lib, (airfoil, airfoil_labels)), 1)),
        ("chain forward, per op", "µs", chain_forward),
        ("chain backward, per node", "µs", chain_backward),
        ("chain under no_grad, per op", "µs", chain_no_grad),
    ]
    for name in single_ops(glasstorch):
        workloads.append((f"op: {name}", "µs",
                          lambda lib, name=name: time_it(single_ops(lib)[name], 2000)))
    only = [p for p in args.only.split(",") if p]
    print(f"threads: glasstorch {glasstorch.get_num_threads()}, torch {torch.get_num_threads()}")
    print(f"{'workload':52s} {'glasstorch':>11s} {'pytorch':>10s} {'speed ratio':>12s}")
    for name, unit, measure in workloads:
        if only and not any(name.startswith(p) for p in only):
            continue
        best = interleaved(measure)
        scale = 1e3 if unit == "ms" else 1e6
        ours, theirs = best[glasstorch] * scale, best[torch] * scale
        print(f"{name:52s} {ours:8.2f}{unit} {theirs:7.2f}{unit} {theirs / ours:11.2f}x",
              flush=True)


if __name__ == "__main__":
    main()
