"""Sequence models: glasstorch vs PyTorch, a training step of each (issue 13, point 6).

    python benchmarks/bench_sequence.py
    python benchmarks/bench_sequence.py --only lstm        # a subset (prefixes of the names)

Both libraries run the same code in this process, at their default threads, interleaved (so
both see the same machine load); each workload counts the best of several repeats. The ratio
is PyTorch's time / glasstorch's time: >= 1.0 means glasstorch is at least as fast.

Workloads (one training step each: forward, loss, backward, optimizer step):
- lstm: the book's character language model (d2l 9.6 / zh 8.6, RNNModel around nn.LSTM):
  one-hot inputs over a vocabulary of 28, nn.LSTM(28, 256), a Linear(256, 28) on every step,
  cross-entropy over 32 sequences of 35 steps, gradient clipping to norm 1, SGD;
- transformer: nn.TransformerEncoderLayer(d_model=256, nhead=4, dim_feedforward=1024,
  batch_first=True) on (32, 64, 256), a mean-squared loss, Adam.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # glasstorch of this checkout
import glasstorch  # noqa: E402
import torch  # noqa: E402

LIBS = (glasstorch, torch)


def lstm_language_model(lib):
    vocab, hidden, batch, steps = 28, 256, 32, 35
    lib.manual_seed(0)
    rnn = lib.nn.LSTM(vocab, hidden)
    head = lib.nn.Linear(hidden, vocab)
    params = list(rnn.parameters()) + list(head.parameters())
    optimizer = lib.optim.SGD(params, lr=1.0)
    rng = np.random.default_rng(0)
    X = lib.tensor(rng.integers(0, vocab, (batch, steps)))
    Y = lib.tensor(rng.integers(0, vocab, (batch, steps)))
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        inputs = lib.nn.functional.one_hot(X.T, vocab).to(lib.float32)
        outputs, _ = rnn(inputs)
        loss = loss_fn(head(outputs.reshape(-1, hidden)), Y.T.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        lib.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        return float(loss.detach())
    return step


def transformer_encoder_layer(lib):
    lib.manual_seed(0)
    layer = lib.nn.TransformerEncoderLayer(d_model=256, nhead=4, dim_feedforward=1024,
                                           batch_first=True)
    optimizer = lib.optim.Adam(layer.parameters(), lr=1e-4)
    rng = np.random.default_rng(0)
    X = lib.tensor(rng.standard_normal((32, 64, 256)).astype("float32"))
    target = lib.tensor(rng.standard_normal((32, 64, 256)).astype("float32"))

    def step():
        loss = ((layer(X) - target) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return float(loss.detach())
    return step


WORKLOADS = {"lstm": lstm_language_model, "transformer": transformer_encoder_layer}


def best_time(step, repeats, calls):
    step()  # warm up: first-call costs, lazily made buffers
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            step()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="comma-separated prefixes of workloads")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", type=int, default=3)
    args = parser.parse_args()
    prefixes = [p for p in args.only.split(",") if p]
    print(f"threads: glasstorch {glasstorch.get_num_threads()}, torch {torch.get_num_threads()}")
    print(f"{'workload':<12} {'glasstorch ms':>14} {'torch ms':>10} {'ratio':>7}")
    for name, make in WORKLOADS.items():
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        steps = {lib: make(lib) for lib in LIBS}
        times = {lib: float("inf") for lib in LIBS}
        for _ in range(args.repeats):  # interleaved: both libraries see the same load
            for lib in LIBS:
                times[lib] = min(times[lib], best_time(steps[lib], 1, args.calls))
        ours, theirs = times[glasstorch], times[torch]
        print(f"{name:<12} {ours * 1e3:>14.1f} {theirs * 1e3:>10.1f} {theirs / ours:>7.2f}",
              flush=True)


if __name__ == "__main__":
    main()
