"""examples/ddp_fashion_mnist.py (the book's concise multi-GPU training on CPU ranks with
DistributedDataParallel), shortened, on 2 MPI ranks started by glasstorch's launcher: it
trains, the loss falls and rank 0 prints the test accuracy. Time-bounded; the ranks' process
group is killed if it runs over."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ddp_fashion_mnist_trains_on_two_ranks():
    command = [sys.executable, "-m", "glasstorch.distributed.run", "--nproc-per-node", "2",
               str(ROOT / "examples" / "ddp_fashion_mnist.py"), "--epochs", "3", "--limit", "256",
               "--test-limit", "128", "--batch-size", "64", "--lr", "0.05"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(command, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True, cwd=ROOT, env=env)
    try:
        stdout, stderr = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("the two ranks ran past 240 s and were killed")
    assert process.returncode == 0, stdout + stderr
    lines = [line for line in stdout.splitlines() if line.startswith("epoch ")]
    assert len(lines) == 3, stdout  # rank 0 alone reports
    assert stdout.startswith("2 ranks x 1 thread, global batch 64, 256 training images")
    losses = [float(line.split("loss ")[1].split(",")[0]) for line in lines]
    accuracies = [float(line.split("test acc ")[1].split(",")[0]) for line in lines]
    assert losses[-1] < losses[0]
    assert all(0.0 <= a <= 1.0 for a in accuracies)
