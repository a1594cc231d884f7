"""The seed 002 CNNs: glasstorch vs PyTorch, training and inference speed and peak memory (issue 10).

    python benchmarks/bench_cnn.py                      # all three models, a couple of minutes
    python benchmarks/bench_cnn.py --models lenet_bn --train-steps 20 --repeats 5
    python benchmarks/bench_cnn.py --no-memory          # speed only
    python benchmarks/bench_cnn.py --threads 1          # diagnostic: one thread each

Models (tests/cnn_models.py, built from the same code in both libraries, with the same weights):
LeNet with BatchNorm on 1x28x28 images, batch 256; ResNet-18 and DenseNet on 1x96x96 images,
batch 64, all on random images and labels.
- train: forward + CrossEntropyLoss + backward + an optimizer step, in images per second: Adam
  (lr 1e-3) for LeNet-BN as note 002 trains it, SGD (lr 0.05) for ResNet-18 and DenseNet as the
  book's train_ch6 does;
- infer: forward in eval mode under no_grad, in images per second.
Speeds are measured for both libraries in this process, interleaved (so both see the same
machine load), after one untimed warm-up step; each repeat times `steps` batches and the best
repeat counts. The ratio is glasstorch speed / PyTorch speed: >= 1.0 means glasstorch is as fast.
Both libraries run at their own defaults (all cores: that is how users run them), or N threads
each with --threads N (it sets OMP_NUM_THREADS, which torch and glasstorch.get_num_threads read,
and OPENBLAS_NUM_THREADS, and restarts the script). glasstorch splits its large array work over
its own thread pool (glasstorch/threads.py) and runs BLAS on one thread inside each part. One thread each is a diagnostic: on a small
machine shared with other work it gives steady numbers, where threads that spin while their core
is taken slowed torch and numpy by 2-10x, at random.

Peak memory: each (library, model, mode) runs again in a fresh subprocess that reads the peak
resident set size (VmHWM in /proc/self/status) after its imports and again after three training
steps (from the second on, Adam's state exists) or two inference batches; the table shows the
growth in MiB: weights, gradients, optimizer state, activations and the library's own caches.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # glasstorch from this checkout; the models
from cnn_models import MODELS  # shared with tests/test_cnn_models.py

SHAPES = {"lenet_bn": (256, 1, 28, 28), "resnet18": (64, 1, 96, 96), "densenet": (64, 1, 96, 96)}
DEFAULT_STEPS = {"lenet_bn": 10, "resnet18": 2, "densenet": 2}  # timed batches per repeat
DEFAULT_REPEATS = {"lenet_bn": 3, "resnet18": 2, "densenet": 2}
OPTIMIZERS = {"lenet_bn": ("Adam", 1e-3), "resnet18": ("SGD", 0.05), "densenet": ("SGD", 0.05)}


def _import(name):
    if name == "torch":
        import torch
        return torch
    import glasstorch
    return glasstorch


def _batches(name, count):
    rng = np.random.default_rng(0)
    shape = SHAPES[name]
    images = [rng.random(shape, dtype=np.float32) for _ in range(count)]
    labels = [rng.integers(0, 10, shape[0]) for _ in range(count)]
    return images, labels


class Workload:
    """One model in one library: its training step and its inference batch."""

    def __init__(self, lib, name, state_dict=None):
        self.lib = lib
        lib.manual_seed(0)
        self.net = MODELS[name](lib)
        if state_dict is not None:  # the same weights in both libraries
            self.net.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in state_dict.items()})
        self.loss = lib.nn.CrossEntropyLoss()
        optimizer, lr = OPTIMIZERS[name]
        self.trainer = getattr(lib.optim, optimizer)(self.net.parameters(), lr=lr)

    def train(self, images, labels):
        self.net.train()
        for X, y in zip(images, labels):
            l = self.loss(self.net(self.lib.from_numpy(X)), self.lib.from_numpy(y))
            self.trainer.zero_grad()
            l.backward()
            self.trainer.step()

    def infer(self, images, labels):
        self.net.eval()
        with self.lib.no_grad():
            for X in images:
                self.net(self.lib.from_numpy(X))


def speeds(name, mode, steps, repeats):
    """Best images/s of glasstorch and of torch, runs interleaved."""
    import torch

    import glasstorch

    images, labels = _batches(name, steps)
    reference = Workload(torch, name)
    weights = {k: v.detach().numpy() for k, v in reference.net.state_dict().items()}
    workloads = {glasstorch: Workload(glasstorch, name, weights), torch: reference}
    for workload in workloads.values():  # warm-up: first allocations, the optimizer's state
        getattr(workload, mode)(images[:1], labels[:1])
    best = dict.fromkeys(workloads, 0.0)
    for _ in range(repeats):
        for lib, workload in workloads.items():
            start = time.perf_counter()
            getattr(workload, mode)(images, labels)
            best[lib] = max(best[lib], steps * len(images[0]) / (time.perf_counter() - start))
    return best[glasstorch], best[torch]


def _peak_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def memory_child(lib_name, name, mode):
    """Run in a fresh process: print the peak RSS growth (MiB) over a few batches."""
    lib = _import(lib_name)
    images, labels = _batches(name, 3 if mode == "train" else 2)
    baseline = _peak_kib()
    workload = Workload(lib, name)
    getattr(workload, mode)(images, labels)
    print(json.dumps({"peak_mib": (_peak_kib() - baseline) / 1024}))


def peak_mib(lib_name, name, mode):
    command = [sys.executable, __file__, "--memory-child", lib_name, name, mode]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])["peak_mib"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS),
                        help="comma-separated, from: " + ", ".join(MODELS))
    parser.add_argument("--modes", default="train,infer")
    parser.add_argument("--train-steps", type=int, help="timed batches per repeat (training)")
    parser.add_argument("--infer-steps", type=int, help="timed batches per repeat (inference)")
    parser.add_argument("--repeats", type=int, help="the best of this many repeats counts")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--threads", type=int, default=0,
                        help="threads for each library (default 0: each library's own default; "
                             "1 is a diagnostic)")
    parser.add_argument("--memory-child", nargs=3, metavar=("LIB", "MODEL", "MODE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return
    if args.threads and os.environ.get("OPENBLAS_NUM_THREADS") != str(args.threads):
        os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
        os.execv(sys.executable, [sys.executable, __file__, *sys.argv[1:]])

    import torch

    import glasstorch
    print(f"threads: torch {torch.get_num_threads()}, glasstorch {glasstorch.get_num_threads()} "
          f"(its pool; BLAS on one thread inside each part) ({os.cpu_count()} cores); "
          "peak memory = growth of VmHWM (/proc/self/status) over the baseline after imports, "
          "fresh process each")
    print(f"{'model':9s} {'mode':5s} {'batch':>5s} {'glasstorch img/s':>16s} {'torch img/s':>11s} "
          f"{'ratio':>6s} {'glasstorch MiB':>14s} {'torch MiB':>9s}")
    for name in args.models.split(","):
        for mode in args.modes.split(","):
            steps = getattr(args, f"{mode}_steps") or DEFAULT_STEPS[name]
            repeats = args.repeats or DEFAULT_REPEATS[name]
            ours, theirs = speeds(name, mode, steps, repeats)
            memory = "" if args.no_memory else (
                f" {peak_mib('glasstorch', name, mode):14.0f} {peak_mib('torch', name, mode):9.0f}")
            print(f"{name:9s} {mode:5s} {SHAPES[name][0]:5d} {ours:16.1f} {theirs:11.1f} "
                  f"{ours / theirs:5.2f}x{memory}", flush=True)


if __name__ == "__main__":
    main()
