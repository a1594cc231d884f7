"""On a real GPU: the device tests on CuPy, then glasstorch vs PyTorch speed (issue 12).

    python benchmarks/bench_gpu.py                # on a machine with a GPU, CuPy and torch (CUDA)
    python benchmarks/bench_gpu.py --device cpu --steps 1 --no-tests   # a dry run of the timing

(a) runs tests/test_device_standin.py with GLASSTORCH_DEVICE_TESTS=cuda (the real CuPy instead
of the stand-in); (b) times training images/s, glasstorch and PyTorch on the same device in this
process, interleaved: LeNet-BN (1x28x28, batch 256, Adam), ResNet-18 and DenseNet (1x96x96,
batch 128, SGD), built by tests/cnn_models.py with the same weights; and (c) the time per op of
a chain of 1000 small ops on a (10,) tensor with backward. Ratios: glasstorch speed / torch
speed (>= 1.0: glasstorch as fast). Sized to finish within a few minutes.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from cnn_models import MODELS  # noqa: E402

SHAPES = {"lenet_bn": (256, 1, 28, 28), "resnet18": (128, 1, 96, 96),
          "densenet": (128, 1, 96, 96)}
OPTIMIZERS = {"lenet_bn": ("Adam", 1e-3), "resnet18": ("SGD", 0.05), "densenet": ("SGD", 0.05)}


def synchronize(lib, device):
    if device != "cpu":
        lib.cuda.synchronize()


def training_speed(lib, name, device, weights, steps):
    lib.manual_seed(0)
    net = MODELS[name](lib)
    net.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in weights.items()})
    net = net.to(device)
    optimizer_name, lr = OPTIMIZERS[name]
    optimizer = getattr(lib.optim, optimizer_name)(net.parameters(), lr=lr)
    loss = lib.nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    X = lib.from_numpy(rng.random(SHAPES[name], dtype=np.float32)).to(device)
    y = lib.from_numpy(rng.integers(0, 10, SHAPES[name][0])).to(device)

    def step():
        l = loss(net(X), y)
        optimizer.zero_grad()
        l.backward()
        optimizer.step()

    step()  # warm-up: allocations, kernels compiled on first use
    synchronize(lib, device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    synchronize(lib, device)
    return steps * SHAPES[name][0] / (time.perf_counter() - start)


def chain_time_per_op(lib, device, repeats=5):
    x = lib.ones(10, device=device, requires_grad=True)
    cs = lib.ones(10, device=device) * 0.5
    best = float("inf")
    for _ in range(repeats):
        synchronize(lib, device)
        start = time.perf_counter()
        y = x
        for _ in range(250):
            t = y.tanh()
            t = t * 0.01
            t = t + y
            y = t - cs
        y.sum().backward()
        synchronize(lib, device)
        best = min(best, (time.perf_counter() - start) / 1000)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--steps", type=int, default=5, help="timed training steps per model")
    parser.add_argument("--no-tests", action="store_true", help="skip (a), the device tests")
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    import torch

    import glasstorch

    if not args.no_tests:
        print("== device tests on the real CuPy", flush=True)
        env = dict(os.environ, GLASSTORCH_DEVICE_TESTS="cuda")
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x",
                                 str(ROOT / "tests" / "test_device_standin.py")], env=env,
                                cwd=ROOT, capture_output=True, text=True)
        print("\n".join(result.stdout.splitlines()[-15:]), flush=True)
    print(f"== training images/s on {args.device} "
          f"({torch.cuda.get_device_name() if args.device != 'cpu' else 'cpu'})")
    print(f"{'model':9s} {'glasstorch':>11s} {'torch':>11s} {'ratio':>7s}")
    for name in args.models.split(","):
        torch.manual_seed(0)
        weights = {k: v.detach().numpy() for k, v in MODELS[name](torch).state_dict().items()}
        ours = training_speed(glasstorch, name, args.device, weights, args.steps)
        theirs = training_speed(torch, name, args.device, weights, args.steps)
        print(f"{name:9s} {ours:11.1f} {theirs:11.1f} {ours / theirs:6.2f}x", flush=True)
    ours, theirs = (chain_time_per_op(lib, args.device) for lib in (glasstorch, torch))
    print(f"chain of 1000 small ops + backward, per op: glasstorch {ours * 1e6:.1f} µs, "
          f"torch {theirs * 1e6:.1f} µs, time ratio {ours / theirs:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
